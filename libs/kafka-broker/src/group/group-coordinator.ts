import { randomUUID } from 'crypto';
import type { Logger } from '../logger';
import { ErrorCode } from '../protocol/error-codes';
import { Group, type GroupMember, type GroupState, type JoinResult, type SyncResult } from './group';

export interface GroupCoordinatorOptions {
  logger: Logger;
  /** Kafka's group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  initialRebalanceDelayMs?: number;
  /** Kafka's group.min.session.timeout.ms / group.max.session.timeout.ms. */
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
}

export interface JoinParams {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  clientId: string;
  clientHost: string;
}

export interface SyncParams {
  groupId: string;
  generationId: number;
  memberId: string;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

const EMPTY = Buffer.alloc(0);

/**
 * The classic group coordinator (JoinGroup / SyncGroup / Heartbeat / LeaveGroup). Protocol
 * metadata and assignments are opaque bytes passed between members, so any client-side assignor
 * (range, round-robin, sticky, cooperative-sticky in eager mode) works. All state is in memory:
 * after a restart members rejoin, as they do after a coordinator failover; committed offsets are
 * durable in the OffsetStore.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly logger: Logger;
  private readonly initialDelayMs: number;
  private readonly minSessionMs: number;
  private readonly maxSessionMs: number;

  constructor(opts: GroupCoordinatorOptions) {
    this.logger = opts.logger;
    this.initialDelayMs = opts.initialRebalanceDelayMs ?? 0;
    this.minSessionMs = opts.minSessionTimeoutMs ?? 6000;
    this.maxSessionMs = opts.maxSessionTimeoutMs ?? 1_800_000;
  }

  private joinError(errorCode: number, memberId: string): JoinResult {
    return {
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      memberId,
      members: [],
    };
  }

  join(p: JoinParams): Promise<JoinResult> {
    if (p.groupId === '') return Promise.resolve(this.joinError(ErrorCode.INVALID_GROUP_ID, p.memberId));
    if (p.sessionTimeoutMs < this.minSessionMs || p.sessionTimeoutMs > this.maxSessionMs) {
      return Promise.resolve(this.joinError(ErrorCode.INVALID_SESSION_TIMEOUT, p.memberId));
    }
    let group = this.groups.get(p.groupId);
    if (!group) {
      group = new Group(p.groupId);
      this.groups.set(p.groupId, group);
    }
    let member = p.memberId === '' ? undefined : group.members.get(p.memberId);
    if (!member && p.groupInstanceId !== null) {
      // A static member coming back keeps its place (KIP-345), whatever member id it sends.
      member = [...group.members.values()].find((m) => m.groupInstanceId === p.groupInstanceId);
    }
    if (p.memberId !== '' && !member)
      return Promise.resolve(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    if (!group.accepts(p.protocolType, p.protocols, member?.memberId ?? null)) {
      return Promise.resolve(this.joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, p.memberId));
    }
    const g = group;
    return new Promise<JoinResult>((resolve) => {
      if (!member) {
        member = {
          memberId: `${p.clientId || 'member'}-${randomUUID()}`,
          groupInstanceId: p.groupInstanceId,
          clientId: p.clientId,
          clientHost: p.clientHost,
          sessionTimeoutMs: p.sessionTimeoutMs,
          rebalanceTimeoutMs: p.rebalanceTimeoutMs,
          protocolType: p.protocolType,
          protocols: p.protocols,
          assignment: EMPTY,
          awaitingJoin: null,
          awaitingSync: null,
          sessionTimer: null,
          joinedThisRound: false,
        };
        g.members.set(member.memberId, member);
        if (!g.leaderId) g.leaderId = member.memberId;
        member.awaitingJoin = resolve;
        this.logger.info(
          { groupId: g.groupId, memberId: member.memberId, clientId: p.clientId },
          'member joined group',
        );
        this.prepareRebalance(g, `member ${member.memberId} joined`);
      } else {
        const unchanged = sameProtocols(member.protocols, p.protocols);
        member.protocols = p.protocols;
        member.sessionTimeoutMs = p.sessionTimeoutMs;
        member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
        member.clientHost = p.clientHost;
        if (
          unchanged &&
          (g.state === 'CompletingRebalance' || (g.state === 'Stable' && g.leaderId !== member.memberId))
        ) {
          // A rejoin that changes nothing gets the current generation back, without a rebalance.
          this.touch(g, member);
          resolve(this.joinResultFor(g, member));
          return;
        }
        // A second JoinGroup from the same member (say, after a reconnect) supersedes the first.
        member.awaitingJoin?.(this.joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
        member.awaitingJoin = resolve;
        this.prepareRebalance(g, `member ${member.memberId} rejoined`);
      }
      this.clearSessionTimer(member);
      this.maybeCompleteJoin(g);
    });
  }

  private joinResultFor(g: Group, m: GroupMember): JoinResult {
    const isLeader = g.leaderId === m.memberId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      memberId: m.memberId,
      members: isLeader
        ? [...g.members.values()].map((x) => ({
            memberId: x.memberId,
            groupInstanceId: x.groupInstanceId,
            metadata: g.metadataOf(x),
          }))
        : [],
    };
  }

  private prepareRebalance(g: Group, reason: string): void {
    if (g.state === 'PreparingRebalance') return;
    const wasEmpty = g.state === 'Empty';
    for (const m of g.members.values()) {
      if (m.awaitingSync) {
        m.awaitingSync({
          errorCode: ErrorCode.REBALANCE_IN_PROGRESS,
          protocolType: null,
          protocolName: null,
          assignment: EMPTY,
        });
        m.awaitingSync = null;
      }
    }
    g.state = 'PreparingRebalance';
    const delay = wasEmpty ? this.initialDelayMs : g.rebalanceTimeoutMs();
    this.logger.info({ groupId: g.groupId, generationId: g.generationId, reason }, 'preparing rebalance');
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    // An empty group's first round waits the initial delay so that members starting together land
    // in one generation; later rounds end when every member rejoined or at the rebalance timeout.
    g.rebalanceTimer = setTimeout(() => this.completeJoin(g), delay);
    g.inInitialDelay = wasEmpty && delay > 0;
  }

  private maybeCompleteJoin(g: Group): void {
    if (g.state === 'PreparingRebalance' && !g.inInitialDelay && g.allJoined()) this.completeJoin(g);
  }

  private completeJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = null;
    g.inInitialDelay = false;
    for (const m of [...g.members.values()]) {
      if (!m.awaitingJoin) {
        this.logger.info(
          { groupId: g.groupId, memberId: m.memberId },
          'member did not rejoin in time; removed',
        );
        this.clearSessionTimer(m);
        g.members.delete(m.memberId);
      }
    }
    g.generationId++;
    if (g.members.size === 0) {
      g.state = 'Empty';
      g.protocolName = null;
      g.leaderId = null;
      return;
    }
    const first = g.members.values().next().value as GroupMember;
    if (!g.leaderId || !g.members.has(g.leaderId)) g.leaderId = first.memberId;
    g.protocolType = first.protocolType;
    g.protocolName = g.selectProtocol();
    g.state = 'CompletingRebalance';
    this.logger.info(
      {
        groupId: g.groupId,
        generationId: g.generationId,
        members: g.members.size,
        protocol: g.protocolName,
        leader: g.leaderId,
      },
      'rebalance: generation formed',
    );
    for (const m of g.members.values()) {
      const resolve = m.awaitingJoin;
      m.awaitingJoin = null;
      m.assignment = EMPTY;
      this.touch(g, m);
      resolve?.(this.joinResultFor(g, m));
    }
  }

  sync(p: SyncParams): Promise<SyncResult> {
    const fail = (errorCode: number): Promise<SyncResult> =>
      Promise.resolve({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY });
    const g = this.groups.get(p.groupId);
    const m = g?.members.get(p.memberId);
    if (!g || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (p.generationId !== g.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (
      (p.protocolType !== null && p.protocolType !== g.protocolType) ||
      (p.protocolName !== null && p.protocolName !== g.protocolName)
    ) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (g.state === 'PreparingRebalance') return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    const ok = (assignment: Buffer): SyncResult => ({
      errorCode: ErrorCode.NONE,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      assignment,
    });
    this.touch(g, m);
    if (g.state === 'Stable') return Promise.resolve(ok(m.assignment));
    if (g.state !== 'CompletingRebalance') return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    return new Promise<SyncResult>((resolve) => {
      m.awaitingSync?.({
        errorCode: ErrorCode.REBALANCE_IN_PROGRESS,
        protocolType: null,
        protocolName: null,
        assignment: EMPTY,
      });
      m.awaitingSync = resolve;
      if (g.leaderId !== m.memberId) return;
      const byMember = new Map(p.assignments.map((a) => [a.memberId, a.assignment]));
      g.state = 'Stable';
      this.logger.info(
        { groupId: g.groupId, generationId: g.generationId },
        'group stable: assignment distributed',
      );
      for (const x of g.members.values()) {
        x.assignment = byMember.get(x.memberId) ?? EMPTY;
        const wake = x.awaitingSync;
        x.awaitingSync = null;
        wake?.(ok(x.assignment));
      }
    });
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(g, m);
    return g.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, leaving: { memberId: string; groupInstanceId: string | null }[]): number[] {
    const g = this.groups.get(groupId);
    return leaving.map((l) => {
      const m =
        g?.members.get(l.memberId) ??
        (l.groupInstanceId !== null
          ? [...(g?.members.values() ?? [])].find((x) => x.groupInstanceId === l.groupInstanceId)
          : undefined);
      if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMember(g, m, 'left the group');
      return ErrorCode.NONE;
    });
  }

  private removeMember(g: Group, m: GroupMember, reason: string): void {
    this.clearSessionTimer(m);
    g.members.delete(m.memberId);
    this.logger.info({ groupId: g.groupId, memberId: m.memberId, reason }, 'member removed from group');
    const gone = {
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
      protocolType: null,
      protocolName: null,
      assignment: EMPTY,
    };
    m.awaitingJoin?.(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.awaitingSync?.(gone);
    m.awaitingJoin = null;
    m.awaitingSync = null;
    if (g.leaderId === m.memberId) g.leaderId = g.members.keys().next().value ?? null;
    if (g.state === 'Stable' || g.state === 'CompletingRebalance')
      this.prepareRebalance(g, `member ${m.memberId} ${reason}`);
    if (g.members.size === 0) g.inInitialDelay = false;
    this.maybeCompleteJoin(g);
  }

  /** Any request from a member proves it alive: restart its session timer. */
  private touch(g: Group, m: GroupMember): void {
    this.clearSessionTimer(m);
    if (m.awaitingJoin) return; // waiting in JoinGroup: the rebalance timeout governs it
    m.sessionTimer = setTimeout(() => {
      m.sessionTimer = null;
      if (g.members.get(m.memberId) === m && !m.awaitingJoin)
        this.removeMember(g, m, `missed its ${m.sessionTimeoutMs} ms session timeout`);
    }, m.sessionTimeoutMs);
  }

  private clearSessionTimer(m: GroupMember): void {
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    m.sessionTimer = null;
  }

  /**
   * May this member commit offsets for this generation? generationId -1 is a standalone consumer
   * (assign(), kcat without -G), allowed while the group has no members.
   */
  validateCommit(groupId: string, generationId: number, memberId: string): number {
    const g = this.groups.get(groupId);
    if (!g || g.members.size === 0) {
      if (generationId < 0) return ErrorCode.NONE;
      return ErrorCode.ILLEGAL_GENERATION;
    }
    const m = g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (g.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(g, m);
    return ErrorCode.NONE;
  }

  describe(groupId: string): DescribedGroup {
    const g = this.groups.get(groupId);
    if (!g)
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: 'Dead',
        protocolType: '',
        protocolData: '',
        members: [],
      };
    const stable = g.state === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable || g.state === 'CompletingRebalance' ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: g.metadataOf(m),
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  list(): { groupId: string; protocolType: string; groupState: GroupState }[] {
    return [...this.groups.values()].map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType ?? '',
      groupState: g.state,
    }));
  }

  /** Forget an empty group (DeleteGroups semantics); a group with members is kept. */
  forgetIfEmpty(groupId: string): boolean {
    const g = this.groups.get(groupId);
    if (g && g.members.size > 0) return false;
    this.groups.delete(groupId);
    return true;
  }

  /** Stops every timer and releases every waiting member (broker shutdown). */
  shutdown(): void {
    for (const g of this.groups.values()) {
      if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
      for (const m of g.members.values()) {
        this.clearSessionTimer(m);
        m.awaitingJoin?.(this.joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
        m.awaitingSync?.({
          errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
          protocolType: null,
          protocolName: null,
          assignment: EMPTY,
        });
      }
    }
    this.groups.clear();
  }
}

function sameProtocols(
  a: { name: string; metadata: Buffer }[],
  b: { name: string; metadata: Buffer }[],
): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata));
}
