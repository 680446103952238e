/** The slice of Express 5 the baseline server uses: the package ships no type declarations. */
declare module 'express' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface Express {
    (request: IncomingMessage, response: ServerResponse): void;
    use(...handlers: unknown[]): Express;
  }

  export default function express(): Express;
}
