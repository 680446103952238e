/**
 * Every price the cost model uses, in one place: AWS list prices, us-east-1, on-demand, as of the
 * time of writing. Update here only.
 */
export const PRICES_USD = {
  httpApiPerMillionRequests: 1.0,
  lambdaPerMillionRequests: 0.2,
  /** Graviton (arm64), which is what the stack deploys. */
  lambdaArm64PerGbSecond: 0.0000133334,
  dynamoDbPerMillionWriteUnits: 0.625,
} as const;

/** What one sign-in costs in requests: login and callback each are one API request, one invocation, one write under 1 KB. */
const PER_FLOW = { apiRequests: 2, invocations: 2, writeUnits: 2 } as const;

export interface FlowCost {
  readonly apiGatewayUsd: number;
  readonly lambdaRequestsUsd: number;
  readonly lambdaDurationUsd: number;
  readonly dynamoDbUsd: number;
  readonly totalUsd: number;
}

/**
 * Dollars per million login+callback flows. Lambda bills duration per invocation rounded up to the
 * millisecond, so each function's figure is its mean billed milliseconds, not its mean latency.
 */
export function costPerMillionFlows(billedMsPerFlow: number, memoryMb: number): FlowCost {
  const apiGatewayUsd = PER_FLOW.apiRequests * PRICES_USD.httpApiPerMillionRequests;
  const lambdaRequestsUsd = PER_FLOW.invocations * PRICES_USD.lambdaPerMillionRequests;
  const lambdaDurationUsd = (billedMsPerFlow / 1000) * (memoryMb / 1024) * PRICES_USD.lambdaArm64PerGbSecond * 1_000_000;
  const dynamoDbUsd = PER_FLOW.writeUnits * PRICES_USD.dynamoDbPerMillionWriteUnits;
  return {
    apiGatewayUsd,
    lambdaRequestsUsd,
    lambdaDurationUsd,
    dynamoDbUsd,
    totalUsd: apiGatewayUsd + lambdaRequestsUsd + lambdaDurationUsd + dynamoDbUsd,
  };
}

/** Lambda bills the init phase of on-demand functions too: dollars per million cold starts of one function. */
export function costPerMillionColdStarts(initMs: number, memoryMb: number): number {
  return (Math.ceil(initMs) / 1000) * (memoryMb / 1024) * PRICES_USD.lambdaArm64PerGbSecond * 1_000_000;
}

/** Mean billed duration of a sample of invocation latencies (each rounded up to the millisecond). */
export function meanBilledMs(latenciesMs: readonly number[]): number {
  return latenciesMs.reduce((sum, ms) => sum + Math.max(1, Math.ceil(ms)), 0) / latenciesMs.length;
}
