/**
 * Fastify's own request validators (Ajv through @fastify/ajv-compiler, its default options:
 * coercion, defaults, removeAdditional), compiled on a route's first request instead of at
 * start-up. Only the admin API's routes carry such schemas, and most nodes never serve one:
 * compiling them eagerly (Ajv's draft-07 meta-schema included) allocated about 7 MB during
 * start-up, which V8 kept as heap slack (docs/benchmarks.md, "Production node memory").
 */
import AjvCompiler from '@fastify/ajv-compiler';

/** What Fastify hands a validator compiler: the route's schema for one part of the request. */
type RouteSchemaDefinition = { schema: unknown; method: string; url: string; httpPart?: string };
type Compile = (route: RouteSchemaDefinition) => unknown;
type BuildValidator = (externalSchemas: unknown, ajvOptions: unknown) => Compile;

/** An Ajv validate function as Fastify calls it: `(data, { parentData, parentDataProperty })`, `.errors` after a failure. */
interface AjvValidate {
  (data: unknown, ctx?: unknown): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}

/** Fastify's `schemaController.compilersFactory.buildValidator`, with each route's validator compiled on first use. */
export const lazyValidators: BuildValidator = (externalSchemas, ajvOptions) => {
  let compile: ReturnType<BuildValidator> | undefined;
  return (route: RouteSchemaDefinition) => {
    let fn: AjvValidate | undefined;
    const validate: AjvValidate = (data, ctx) => {
      if (!fn) {
        compile ??= (AjvCompiler() as unknown as BuildValidator)(externalSchemas, ajvOptions);
        fn = compile(route) as AjvValidate;
      }
      const result = fn(data, ctx);
      validate.errors = fn.errors;
      return result;
    };
    // Fastify passes the parent object (so Ajv can coerce or default a whole querystring) only
    // to a validator that has `schemaEnv`, as every Ajv-compiled one has.
    validate.schemaEnv = true;
    return validate;
  };
};
