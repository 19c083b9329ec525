// A failed step's Microsoft error, translated into what a technician can do about it. Graph's
// own sentences for licences are documented on Learn (user-assignlicense; the emulator sends the
// same ones); a 403 on a write means a missing GDAP role or missing consent for the write scope.
import { DocsyncError } from '../errors.ts';
import { MicrosoftError } from '../microsoft/errors.ts';
import { licenseDisplayName } from '../licensing/skus.ts';
import { roleNames, type StepName } from './roles.ts';

export interface StepFailure {
  code: string;
  message: string;
  action: string;
}

/** A refusal docsync makes itself, before or instead of asking Microsoft. */
export class ActionRefused extends DocsyncError {
  readonly status = 409;
  constructor(
    readonly code: string,
    message: string,
    action: string,
  ) {
    super(message, action);
  }
}

export function translateStepError(error: unknown, step: { name: StepName; targetIsAdministrator?: boolean; target: string }): StepFailure {
  if (error instanceof ActionRefused) return { code: error.code, message: error.message, action: error.action ?? '' };
  if (!(error instanceof MicrosoftError)) {
    return {
      code: 'internal_error',
      message: `docsync failed while doing "${step.name}" for ${step.target}`,
      action: 'resume the action; report it with the action id if it fails again',
    };
  }
  const upstream = error.details.upstreamMessage ?? '';
  const sku = /SKU ([0-9a-f-]{36})/i.exec(upstream)?.[1] ?? /License ([0-9a-f-]{36})/i.exec(upstream)?.[1];
  if (/does not have any available licenses/i.test(upstream)) {
    return {
      code: 'license_seats_exhausted',
      message: `no free seats of ${licenseDisplayName(sku)} for ${step.target}`,
      action: `buy more seats of ${licenseDisplayName(sku)} or reclaim one (license_reclaim), then resume the action`,
    };
  }
  if (/invalid usage location/i.test(upstream)) {
    return {
      code: 'usage_location_missing',
      message: `${step.target} has no usage location, which Microsoft needs before licensing`,
      action: 'set the usage location (two-letter country) on the user, then resume',
    };
  }
  if (/does not correspond to a valid company License/i.test(upstream)) {
    return {
      code: 'license_not_available',
      message: `the tenant has no subscription for ${licenseDisplayName(sku)}`,
      action: 'choose a licence the tenant owns (subscribedSkus), or buy it first',
    };
  }
  if (error.details.httpStatus === 403) {
    if (
      step.targetIsAdministrator &&
      (step.name === 'reset_password' || step.name === 'block_sign_in' || step.name === 'revoke_sessions' || step.name === 'delete_user')
    ) {
      return {
        code: 'user_is_administrator',
        message:
          `${step.target} is an administrator: Microsoft only lets a Privileged Authentication Administrator (or Global ` +
          `Administrator) do "${step.name}"`,
        action:
          "add Privileged Authentication Administrator to docsync's group in this customer's GDAP relationship, or do it in the " +
          "customer's admin center",
      };
    }
    return {
      code: 'gdap_role_missing',
      message: `Microsoft refused "${step.name}" for ${step.target} (${error.details.upstreamCode ?? 'Forbidden'})`,
      action:
        `give docsync's GDAP group the ${roleNames(step.name)} role in this customer's relationship, and make sure the write ` +
        `permissions are consented (Integrations → enable actions), then resume`,
    };
  }
  if (error.code === 'throttled_out') {
    return {
      code: 'throttled',
      message: `Microsoft kept throttling "${step.name}" for ${step.target}`,
      action: 'resume the action in a few minutes: the steps already done are not repeated',
    };
  }
  if (error.code === 'graph_unavailable') {
    return {
      code: 'microsoft_unavailable',
      message: `Microsoft was unavailable during "${step.name}" for ${step.target}`,
      action: 'resume the action later: the steps already done are not repeated',
    };
  }
  return {
    code: error.code,
    message: `Microsoft refused "${step.name}" for ${step.target}${upstream ? `: ${upstream}` : ''}`,
    action: error.action ?? "check the user in the customer's admin center, then resume",
  };
}
