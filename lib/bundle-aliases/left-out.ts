/**
 * What the stand-ins for left-out modules throw if the SDK ever reaches one: a loud failure naming
 * the module, rather than a silent change of behaviour after an SDK upgrade.
 */
export function leftOut(module: string, why: string): never {
  throw new Error(`${module} is not bundled into the login-flow functions (${why}); see lib/bundling.ts`);
}
