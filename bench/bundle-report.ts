import type { Metafile } from 'esbuild';
import type { FunctionName } from '../lib/bundling.js';

/**
 * Reading a bundle's esbuild metafile: what its bytes are made of, and whether any SDK part the
 * functions cannot use made it in.
 */

export interface Contributor {
  /** A package, an SDK package's submodule (`@smithy/core/protocols`), or the project's own code. */
  readonly module: string;
  readonly bytes: number;
}

export interface UnneededPart {
  readonly label: string;
  readonly pattern: RegExp;
}

/**
 * The DynamoDB commands each function's store can send (the store modules in lambdas/shared/): the session and
 * logout functions share one session store, so both carry its three; the authorizer has the
 * session reader alone (one GetItem). The client's constructor names DescribeEndpoints for
 * endpoint discovery, so that one stays in every bundle with a client. The demo app has no client.
 */
export const DYNAMODB_COMMANDS: Readonly<Record<FunctionName, readonly string[]>> = {
  login: ['PutItem'],
  callback: ['UpdateItem', 'GetItem', 'TransactWriteItems'],
  session: ['GetItem', 'UpdateItem', 'DeleteItem'],
  logout: ['GetItem', 'UpdateItem', 'DeleteItem'],
  authorizer: ['GetItem'],
  backchannelLogout: ['PutItem', 'DeleteItem', 'Query'],
  demo: [],
  // The token source's session store: read the session, take and release the lease, write refreshed tokens, end a dead grant.
  apiProxy: ['GetItem', 'UpdateItem', 'DeleteItem'],
  demoApi: [],
};

/**
 * The size targets, in bytes (KB of 1,024 bytes, as esbuild and `cdk synth` print them).
 * The authorizer runs before every guarded request, so it has the login's tighter target.
 */
export const BUNDLE_BUDGET_BYTES: Readonly<Record<FunctionName, number>> = {
  login: 180 * 1024,
  callback: 230 * 1024,
  session: 230 * 1024,
  logout: 230 * 1024,
  authorizer: 180 * 1024,
  backchannelLogout: 230 * 1024,
  demo: 230 * 1024,
  apiProxy: 230 * 1024,
  demoApi: 230 * 1024,
};

/**
 * SDK parts a function never runs: its own DynamoDB commands with the function's own credentials
 * from its environment. Matched against metafile input paths (ES and CommonJS builds).
 */
export function unneededSdkParts(name: FunctionName): readonly UnneededPart[] {
  // A function that sends no command needs no SDK code at all.
  if (DYNAMODB_COMMANDS[name].length === 0) return [{ label: 'any AWS SDK code', pattern: /node_modules\/@(aws-sdk|smithy)\// }];
  const commands = [...DYNAMODB_COMMANDS[name], 'DescribeEndpoints'];
  return [
    { label: 'default credential chain', pattern: /node_modules\/@aws-sdk\/credential-provider-node\// },
    { label: 'SSO credentials and tokens', pattern: /node_modules\/@aws-sdk\/(credential-provider-sso|token-providers)\// },
    { label: 'INI profile credentials', pattern: /node_modules\/@aws-sdk\/credential-provider-ini\// },
    { label: 'credential_process', pattern: /node_modules\/@aws-sdk\/credential-provider-process\// },
    { label: 'web identity token file', pattern: /node_modules\/@aws-sdk\/credential-provider-web-identity\// },
    { label: 'container and instance metadata credentials', pattern: /node_modules\/@(aws-sdk\/credential-provider-http|smithy\/credential-provider-imds)\// },
    { label: 'any other credential provider', pattern: /node_modules\/@aws-sdk\/credential-provider-(?!node\/|sso\/|ini\/|process\/|web-identity\/|http\/)/ },
    { label: 'STS, SSO, SSO-OIDC and sign-in clients', pattern: /node_modules\/@aws-sdk\/nested-clients\// },
    { label: 'other service clients', pattern: /node_modules\/@aws-sdk\/client-(?!dynamodb\/)/ },
    {
      label: `DynamoDB commands other than ${DYNAMODB_COMMANDS[name].join(', ')}`,
      pattern: new RegExp(`node_modules/@aws-sdk/client-dynamodb/dist-(es|cjs)/commands/(?!(${commands.join('|')})Command\\.js$)`),
    },
    { label: 'event streams', pattern: /node_modules\/@smithy\/core\/dist-(es|cjs)\/submodules\/event-streams\// },
    { label: 'endpoint discovery cache', pattern: /node_modules\/(@aws-sdk\/endpoint-cache|mnemonist|obliterator)\// },
  ];
}

export interface BundleContents {
  readonly bytes: number;
  /**
   * The DynamoDB commands bundled (`PutItem` for PutItemCommand), sorted: read from the ES module
   * build's one file per command, so empty for a bundle of the CommonJS build (one file for all).
   */
  readonly dynamoDbCommands: readonly string[];
  readonly contributors: readonly Contributor[];
  /** Each unneeded part found, with the bytes it adds. Empty is the goal. */
  readonly unneeded: readonly { readonly label: string; readonly bytes: number; readonly inputs: readonly string[] }[];
}

/** `@smithy/core/dist-es/submodules/protocols/x.js` -> `@smithy/core/protocols`; project files -> `project code`. */
function moduleOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:dist-(?:es|cjs)\/submodules\/([^/.]+))?/.exec(input);
  if (match === null) return 'project code';
  const [, packageName, submodule] = match;
  return submodule === undefined ? (packageName as string) : `${packageName}/${submodule}`;
}

/** `outputPath` is the output's key in the metafile (a build of several entry points has one per bundle). */
export function analyzeBundle(metafile: Metafile, outputPath: string, name: FunctionName): BundleContents {
  const output = metafile.outputs[outputPath];
  if (output === undefined) throw new Error(`no output ${outputPath} in the metafile`);
  const inputs = Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0);
  const byModule = new Map<string, number>();
  for (const [path, input] of inputs) byModule.set(moduleOf(path), (byModule.get(moduleOf(path)) ?? 0) + input.bytesInOutput);
  const contributors = [...byModule].map(([module, bytes]) => ({ module, bytes })).sort((a, b) => b.bytes - a.bytes);
  const unneeded = unneededSdkParts(name).map(({ label, pattern }) => {
    const found = inputs.filter(([path]) => pattern.test(path));
    return { label, bytes: found.reduce((sum, [, input]) => sum + input.bytesInOutput, 0), inputs: found.map(([path]) => path) };
  }).filter((part) => part.inputs.length > 0);
  const dynamoDbCommands = inputs
    .map(([path]) => /node_modules\/@aws-sdk\/client-dynamodb\/dist-(?:es|cjs)\/commands\/(\w+)Command\.js$/.exec(path)?.[1])
    .filter((command) => command !== undefined)
    .sort();
  return { bytes: output.bytes, dynamoDbCommands, contributors, unneeded };
}
