/** The slice of autocannon 9 the bench uses: the package ships no type declarations. */
declare module 'autocannon' {
  interface Result {
    /** Seconds. */
    readonly duration: number;
    readonly errors: number;
    readonly timeouts: number;
    readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>;
  }

  interface Options {
    readonly url: string;
    readonly method?: string;
    readonly connections?: number;
    /** Seconds. */
    readonly duration?: number;
    readonly maxOverallRequests?: number;
    /** Seconds before a request counts as timed out. */
    readonly timeout?: number;
    readonly headers?: Readonly<Record<string, string>>;
  }

  interface Instance extends PromiseLike<Result> {
    /** Every response, with its time in milliseconds. */
    on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): Instance;
  }

  export default function autocannon(options: Options): Instance;
}
