/**
 * One classic consumer group (the pre-KIP-848 rebalance protocol), as data. The coordinator moves
 * it between these states:
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / rebalance timeout──▶ CompletingRebalance
 *   CompletingRebalance ──leader's SyncGroup──▶ Stable ──join of a new member, leave, expiry──▶ PreparingRebalance
 *   any ──last member gone──▶ Empty
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  /** In the member's order of preference; metadata is opaque to the broker (the assignor's). */
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  /** Set while the member waits in JoinGroup for the rebalance to complete. */
  awaitingJoin: ((result: JoinResult) => void) | null;
  /** Set while the member waits in SyncGroup for the leader's assignment. */
  awaitingSync: ((result: SyncResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
  /** Joined in the current rebalance (members that did not are dropped when it completes). */
  joinedThisRound: boolean;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  rebalanceTimer: NodeJS.Timeout | null = null;
  /** The first round of an empty group, still inside the initial rebalance delay. */
  inInitialDelay = false;

  constructor(readonly groupId: string) {}

  /** The protocol every member supports that gets the most first-preference votes (Kafka's rule). */
  selectProtocol(): string | null {
    const members = [...this.members.values()];
    if (members.length === 0) return null;
    const common = members[0].protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    if (common.length === 0) return null;
    const votes = new Map<string, number>(common.map((c) => [c, 0]));
    for (const m of members) {
      const choice = m.protocols.find((p) => votes.has(p.name));
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best = common[0];
    for (const c of common) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  /** Would a member with these protocols fit the group (same protocol type, a protocol in common)? */
  accepts(protocolType: string, protocols: { name: string }[], exceptMemberId: string | null): boolean {
    const others = [...this.members.values()].filter((m) => m.memberId !== exceptMemberId);
    if (others.length === 0) return protocols.length > 0;
    if (others[0].protocolType !== protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  metadataOf(member: GroupMember): Buffer {
    return member.protocols.find((p) => p.name === this.protocolName)?.metadata ?? Buffer.alloc(0);
  }

  allJoined(): boolean {
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }
}
