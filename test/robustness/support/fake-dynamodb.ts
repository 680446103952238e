import { createServer, type ServerResponse } from 'node:http';
import { closeServer } from '../../../local/close-server.js';
import { listenOnLoopback } from './http-stack.js';

/**
 * A loopback HTTP server in DynamoDB's place, to drive the real SDK client (its retries and
 * timeouts) into failures DynamoDB Local cannot produce on demand.
 */
export interface FakeDynamoDb {
  readonly endpoint: string;
  /** How many HTTP requests (SDK attempts) it received. */
  requests(): number;
  close(): Promise<void>;
}

/** `answer` gets each request's 1-based number; leaving the response open models a store that never answers. */
export async function startFakeDynamoDb(answer: (requestNumber: number, response: ServerResponse) => void): Promise<FakeDynamoDb> {
  let count = 0;
  const server = createServer((request, response) => {
    request.resume();
    count += 1;
    answer(count, response);
  });
  return {
    endpoint: await listenOnLoopback(server),
    requests: () => count,
    close: () => closeServer(server),
  };
}

/** DynamoDB's wire answer for throttling (AWS JSON 1.0 error, HTTP 400), which the SDK retries with throttling back-off. */
export function answerThrottled(response: ServerResponse): void {
  response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'fake-throttled' });
  response.end(
    JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded.',
    }),
  );
}
