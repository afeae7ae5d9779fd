import { ValidationError, type FieldError } from '../../kernel/errors.js';

/**
 * Attribute templates (seed 类目属性管理) are defined on a backend category and inherited by its
 * sub-categories. `key` attributes define the SPU, `sales` attributes define the SKUs (colour, size…),
 * `general` attributes only describe the item. `values`, when set, lists the allowed values.
 */
export const ATTRIBUTE_KINDS = ['key', 'sales', 'general'] as const;
export type AttributeKind = (typeof ATTRIBUTE_KINDS)[number];

export interface AttributeTemplate {
  attributeId: string;
  /** The category that defines it (the product's category or one of its ancestors). */
  categoryId: string;
  name: string;
  kind: AttributeKind;
  values: string[] | null;
}

/** Attribute name → value. */
export type AttributeValues = Record<string, string>;

export const normalizeName = (name: string): string => name.normalize('NFKC').trim().toLowerCase();

interface Rules {
  kind: AttributeKind;
  /** Every template of the kind must have a value. */
  requireAll: boolean;
}

/** Field errors for values that do not fit the templates of one kind: unknown names, other kinds, values not allowed, missing ones. */
export function attributeErrors(templates: AttributeTemplate[], values: AttributeValues, path: string, rules: Rules): FieldError[] {
  const errors: FieldError[] = [];
  const byName = new Map(templates.map((template) => [template.name, template]));
  for (const [name, value] of Object.entries(values)) {
    const template = byName.get(name);
    if (!template) {
      errors.push({ path: `${path}.${name}`, message: `the category has no attribute "${name}"` });
    } else if (template.kind !== rules.kind) {
      errors.push({ path: `${path}.${name}`, message: `"${name}" is a ${template.kind} attribute, not a ${rules.kind} attribute` });
    } else if (template.values && !template.values.includes(value)) {
      errors.push({ path: `${path}.${name}`, message: `"${value}" is not allowed; use one of: ${template.values.join(', ')}` });
    }
  }
  if (rules.requireAll) {
    for (const template of templates) {
      if (template.kind === rules.kind && !(template.name in values)) {
        errors.push({ path: `${path}.${template.name}`, message: `the ${rules.kind} attribute "${template.name}" is required` });
      }
    }
  }
  return errors;
}

export function requireAttributes(templates: AttributeTemplate[], values: AttributeValues, path: string, rules: Rules): void {
  const errors = attributeErrors(templates, values, path, rules);
  if (errors.length > 0) throw new ValidationError(`the ${rules.kind} attributes do not fit the category's templates`, errors);
}

/** A stable key for a SKU's sales attribute combination (order of names does not matter). */
export const combinationKey = (values: AttributeValues): string =>
  JSON.stringify(Object.keys(values).sort().map((name) => [name, values[name]]));
