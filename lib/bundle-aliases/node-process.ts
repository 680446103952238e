/**
 * Stands in for `node:process`. Importing that built-in as an ES module builds a facade that reads
 * every property of `process`, lazy getters included: about 7 ms of every cold start on Node 20
 * (npm run bench). These are the same objects; the bundled SDK imports only these two names, and a
 * new one would fail the build ("No matching export") rather than go unnoticed.
 */
export const { env, versions } = process;
