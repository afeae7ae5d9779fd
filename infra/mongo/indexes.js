/* global rs, db, print, sleep, require -- mongosh globals */
/* eslint-disable @typescript-eslint/no-require-imports -- mongosh scripts load node modules with require */
// Bazaar on MongoDB: initiates the replica set (once) and creates the indexes the view projections
// declare (`indexes` in src/projections/**; the app also creates them at start, this builds them ahead of
// a deploy on big collections). Run with mongosh, e.g. the compose service `mongo-init`:
//   mongosh "mongodb://mongo:27017/bazaar?directConnection=true" /infra/mongo/indexes.js
// The definitions are in indexes.json beside this file (test/e2e/roles.test.ts keeps it equal to the code).
const fs = require('fs');
const file = process.env.BAZAAR_MONGO_INDEXES || '/infra/mongo/indexes.json';

try {
  rs.status();
} catch {
  const host = process.env.MONGO_RS_HOST || 'mongo:27017';
  print(`initiating replica set rs0 with ${host}`);
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host }] });
}
// Wait for a primary before creating indexes.
for (let i = 0; i < 60 && !db.hello().isWritablePrimary; i++) sleep(1000);

const target = db.getSiblingDB(process.env.BAZAAR_MONGO_DB || 'bazaar');
const indexes = JSON.parse(fs.readFileSync(file, 'utf8'));
for (const [collection, keys] of Object.entries(indexes)) {
  for (const key of keys) {
    const name = target.getCollection(collection).createIndex(key);
    print(`${collection}: ${name}`);
  }
}
