import { leftOut } from './left-out.js';

const unused = (): never =>
  leftOut('@aws-sdk/endpoint-cache', 'endpoint discovery is wired only into commands that need it, and PutItem and UpdateItem do not');

/**
 * Stands in for `@aws-sdk/endpoint-cache` (an LRU cache of discovered endpoints). The DynamoDB
 * client constructs one, but only the endpoint-discovery middleware uses it (these four methods),
 * and that middleware is not attached to the commands the functions send.
 */
export class EndpointCache {
  readonly getEndpoint = unused;
  readonly get = unused;
  readonly set = unused;
  readonly delete = unused;
}
