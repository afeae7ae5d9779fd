import { z } from '@hono/zod-openapi';
import { ROLES } from '../../domain/common/actor.js';
import { GENDERS } from '../../domain/users/user.js';
import { normalizePhone, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordWeakness } from '../../domain/users/credentials.js';

export const PhoneSchema = z
  .string()
  .max(20)
  .refine((value) => normalizePhone(value) !== null, 'not a valid mobile number; use +<country code><number>, e.g. +8613800138000')
  .openapi({ example: '+8613800138000' });

export const EmailSchema = z.string().max(254).pipe(z.email('not a valid e-mail address')).openapi({ example: 'li.lei@example.com' });

export const CodeSchema = z.string().regex(/^\d{6}$/, 'the code has 6 digits').openapi({ example: '123456' });

export const PasswordSchema = z
  .string()
  .min(1, 'required')
  .max(PASSWORD_MAX_LENGTH, `at most ${PASSWORD_MAX_LENGTH} characters`);

/** A password being chosen: the policy is checked at the door (and again, with phone and e-mail, by the command). */
export const NewPasswordSchema = z
  .string()
  .max(PASSWORD_MAX_LENGTH, `at most ${PASSWORD_MAX_LENGTH} characters`)
  .superRefine((value, ctx) => {
    const weakness = passwordWeakness(value);
    if (weakness) ctx.addIssue({ code: 'custom', message: `password ${weakness}` });
  })
  .openapi({ description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters mixing two of: lower case, upper case, digits, symbols; not a common password, not your phone number` });

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const AddressSchema = z
  .object({
    recipient: text(100),
    phone: PhoneSchema,
    country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 country code, e.g. CN'),
    province: text(100).optional(),
    city: text(100),
    district: text(100).optional(),
    line1: text(200),
    line2: text(200).optional(),
    postalCode: z.string().regex(/^[A-Za-z0-9 -]{3,12}$/, 'not a postal code').optional(),
  })
  .strict()
  .openapi('Address');

export const NicknameSchema = text(50);

export const RoleSchema = z.enum(ROLES);

export const UserSchema = z
  .object({
    id: z.string(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    nickname: z.string(),
    fullName: z.string().nullable(),
    gender: z.enum(GENDERS).nullable(),
    dateOfBirth: z.string().nullable(),
    avatar: z.string().nullable(),
    shippingAddress: AddressSchema.nullable(),
    billingAddress: AddressSchema.nullable(),
    roles: z.array(RoleSchema),
    status: z.literal('active'),
    registeredAt: z.string(),
    lastLoginAt: z.string().nullable(),
    points: z.number().int().openapi({ description: 'coins balance' }),
    version: z.number().int().openapi({ description: 'also sent as ETag' }),
  })
  .openapi('User');

export const AuthResultSchema = z
  .object({
    user: UserSchema,
    accessToken: z.string(),
    refreshToken: z.string(),
    accessTokenExpiresIn: z.number().int().openapi({ description: 'seconds' }),
    position: z.string().openapi({ description: 'global position of the last event written (read-your-writes)' }),
  })
  .openapi('AuthResult');

export const ProfilePatchSchema = z
  .object({
    nickname: NicknameSchema.optional(),
    fullName: text(100).nullable().optional(),
    gender: z.enum(GENDERS).nullable().optional(),
    dateOfBirth: z.iso
      .date('a date as YYYY-MM-DD')
      .refine((value) => value >= '1900-01-01' && Date.parse(value) <= Date.now(), 'must be a past date after 1900')
      .nullable()
      .optional(),
    avatar: z.url('an http(s) URL').max(500).refine((value) => /^https?:\/\//.test(value), 'an http(s) URL').nullable().optional(),
    shippingAddress: AddressSchema.nullable().optional(),
    billingAddress: AddressSchema.nullable().optional(),
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'send at least one field to change')
  .openapi('ProfilePatch');
