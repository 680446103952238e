/** Metric names shared by the functions (which emit them) and the stack (which alarms on them). */
export const METRICS_NAMESPACE = 'ServerlessOidcLogin';

export const Metric = {
  loginsStarted: 'LoginsStarted',
  loginsRejected: 'LoginsRejected',
  callbacksCompleted: 'CallbacksCompleted',
  callbacksRejected: 'CallbacksRejected',
  providerErrors: 'ProviderErrors',
  signInsCompleted: 'SignInsCompleted',
  signInsFailed: 'SignInsFailed',
  sessionsEnded: 'SessionsEnded',
  requestsAuthorized: 'RequestsAuthorized',
  requestsDenied: 'RequestsDenied',
  backchannelLogouts: 'BackchannelLogouts',
  backchannelLogoutsRejected: 'BackchannelLogoutsRejected',
  storeFaults: 'StoreFaults',
  internalErrors: 'InternalErrors',
} as const;

export type MetricName = (typeof Metric)[keyof typeof Metric];

/** The one dimension, used on rejections only, so a rise can be traced to its cause. */
export const REASON_DIMENSION = 'Reason';
