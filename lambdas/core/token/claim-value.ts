/** A profile claim as a session keeps it: a plain value, never an object or array. */
export type ClaimValue = string | number | boolean;
