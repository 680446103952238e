import { Agent, request } from 'node:http';

/**
 * Not a function of the project: a "handler" that only makes one bare HTTP round trip to the
 * DynamoDB stub over a kept-alive connection, run through the same warm loop as the functions. Its
 * latency is this machine's floor for any handler that talks to the stub.
 */
const endpoint = new URL('/ping', process.env.DYNAMODB_ENDPOINT);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

export function handler(): Promise<{ statusCode: number }> {
  return new Promise((resolve, reject) => {
    request(endpoint, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve({ statusCode: response.statusCode ?? 0 }));
    })
      .on('error', reject)
      .end();
  });
}
