// Request property names match case-insensitively, as ASP.NET reads Altinn's requests: `RecipientSms` is
// `recipientSms`. Each name is rewritten to the schema's own spelling before the schema validates, so the
// rules, the `errors` paths, the idempotency fingerprint and the responses all see one camelCase request.
import { z } from "@hono/zod-openapi";

/** The property names a schema knows, by their folded form, each with its nested names. */
export type PropertyNames = ReadonlyMap<string, { name: string; nested?: PropertyNames }>;

export type CanonicalNames =
  | { ok: true; value: unknown; renamed: boolean }
  | { ok: false; issues: { path: string[]; message: string }[] };

// Only ASCII letters fold: every name the schemas know is ASCII, and folding more (as .NET's
// OrdinalIgnoreCase would for `ı` or `ſ`) would only match names nobody sends.
const fold = (name: string) => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; shape?: Record<string, z.ZodType> };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object inside optional/nullable/default wrappers and transforms, if there is one. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let current: z.ZodType | undefined = schema;
  while (current) {
    const def = defOf(current);
    if (def.type === "object") return def.shape;
    if (def.type === "pipe") current = def.in && defOf(def.in).type === "transform" ? def.out : def.in;
    else current = def.innerType;
  }
  return undefined;
}

/** The names a request schema knows, at every level. */
export function propertyNamesOf(schema: z.ZodType): PropertyNames | undefined {
  const shape = objectShape(schema);
  if (!shape) return undefined;
  const names = new Map<string, { name: string; nested?: PropertyNames }>();
  for (const [name, child] of Object.entries(shape)) {
    const nested = propertyNamesOf(child);
    names.set(fold(name), nested ? { name, nested } : { name });
  }
  return names;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * `value` with every known property name spelt as the schema spells it. Unknown names stay as they are
 * (the schema ignores them). Two names in one object that differ only by case are an issue at the field's
 * JSON path: which one was meant cannot be told.
 */
export function canonicalNames(value: unknown, names: PropertyNames | undefined, path: string[] = []): CanonicalNames {
  if (!names || !isObject(value)) return { ok: true, value, renamed: false };
  const issues: { path: string[]; message: string }[] = [];
  let renamed = false;
  const seen = new Set<string>();
  const entries: [string, unknown][] = [];
  for (const [key, item] of Object.entries(value)) {
    const known = names.get(fold(key));
    if (!known) {
      entries.push([key, item]);
      continue;
    }
    if (seen.has(known.name)) {
      issues.push({ path: [...path, known.name], message: "Given more than once, by names that differ only by case." });
      continue;
    }
    seen.add(known.name);
    const nested = canonicalNames(item, known.nested, [...path, known.name]);
    if (!nested.ok) {
      issues.push(...nested.issues);
      continue;
    }
    renamed ||= key !== known.name || nested.renamed;
    entries.push([known.name, nested.value]);
  }
  // fromEntries defines own properties, so a "__proto__" name stays data.
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: Object.fromEntries(entries), renamed };
}

/**
 * `schema`, reading property names case-insensitively: the names are respelt first (a preprocess step,
 * so the OpenAPI document still shows `schema` itself), and a name given twice is an issue at its path.
 */
export function caseInsensitive<S extends z.ZodType>(schema: S) {
  const names = propertyNamesOf(schema);
  return z.preprocess((input, ctx) => {
    const result = canonicalNames(input, names);
    if (result.ok) return result.value;
    for (const issue of result.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path, input });
    return input;
  }, schema);
}
