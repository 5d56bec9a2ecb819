// The published schemas kept as fixtures (test/fixtures/schemas/README.md says where from), compiled offline.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fs from 'node:fs';

// ajv-formats is CommonJS with a default export.
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

const cache = new Map<string, ValidateFunction>();

/**
 * tasks.schema.json is draft-04, which ajv 8 has no meta-schema for: its `id` becomes `$id` and its
 * `$schema` is dropped in memory (every keyword it uses means the same in draft-07). Its patterns are not
 * valid with the `u` flag, and `defaultValue` allows a union of types.
 */
export function compileSchema(file: string): ValidateFunction {
  const cached = cache.get(file);
  if (cached) return cached;
  const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (typeof schema.id === 'string' && !schema.$id) {
    schema.$id = schema.id;
    delete schema.id;
    delete schema.$schema;
  }
  const ajv = new Ajv({ strictTypes: false, strictRequired: false, unicodeRegExp: false, allowUnionTypes: true, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const validate = ajv.compile(schema);
  cache.set(file, validate);
  return validate;
}
