import { VersionChannel } from '@upshift/contracts/model';

/**
 * Release channels nest (ADR 0004): a `dev` subscriber sees dev, beta and stable releases, a `beta`
 * subscriber beta and stable, a `stable` subscriber only stable.
 */
const CHANNEL_WIDTH: Readonly<Record<VersionChannel, number>> = {
  [VersionChannel.STABLE]: 0,
  [VersionChannel.BETA]: 1,
  [VersionChannel.DEV]: 2,
};

export function channelSees(subscriber: VersionChannel, release: VersionChannel): boolean {
  return CHANNEL_WIDTH[release] <= CHANNEL_WIDTH[subscriber];
}

export function visibleChannels(subscriber: VersionChannel): VersionChannel[] {
  return Object.values(VersionChannel).filter((release) => channelSees(subscriber, release));
}
