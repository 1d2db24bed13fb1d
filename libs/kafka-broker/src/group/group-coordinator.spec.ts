import { silentLogger } from '../logger';
import { ErrorCode } from '../protocol/error-codes';
import { GroupCoordinator, type JoinParams } from './group-coordinator';

const join = (overrides: Partial<JoinParams> = {}): JoinParams => ({
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 20_000,
  memberId: '',
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [
    { name: 'range', metadata: Buffer.from('r') },
    { name: 'roundrobin', metadata: Buffer.from('rr') },
  ],
  clientId: 'c',
  clientHost: '127.0.0.1',
  ...overrides,
});

describe('GroupCoordinator', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    jest.useFakeTimers();
    coordinator = new GroupCoordinator({ logger: silentLogger });
  });

  afterEach(() => {
    coordinator.shutdown();
    jest.useRealTimers();
  });

  /** Two members through JoinGroup and SyncGroup; returns their ids, leader first. */
  async function formGroupOfTwo(): Promise<{ leader: string; follower: string; generationId: number }> {
    const first = await coordinator.join(join());
    expect(first).toEqual(expect.objectContaining({ errorCode: 0, generationId: 1 }));
    await coordinator.sync({
      groupId: 'g',
      generationId: 1,
      memberId: first.memberId,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    const secondJoin = coordinator.join(
      join({
        protocols: [
          { name: 'roundrobin', metadata: Buffer.from('x') },
          { name: 'range', metadata: Buffer.from('y') },
        ],
      }),
    );
    expect(coordinator.heartbeat('g', 1, first.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const firstRejoin = await coordinator.join(join({ memberId: first.memberId }));
    const second = await secondJoin;
    expect(firstRejoin.generationId).toBe(2);
    expect(firstRejoin.leader).toBe(first.memberId);
    // Both list range and roundrobin; each gets one first-choice vote; the earlier candidate wins ties.
    expect(firstRejoin.protocolName).toBe('range');
    expect(firstRejoin.members.map((m) => m.metadata.toString()).sort()).toEqual(['r', 'y']);
    expect(second.members).toEqual([]);
    const followerSync = coordinator.sync({
      groupId: 'g',
      generationId: 2,
      memberId: second.memberId,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
    const leaderSync = await coordinator.sync({
      groupId: 'g',
      generationId: 2,
      memberId: first.memberId,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [
        { memberId: first.memberId, assignment: Buffer.from('A') },
        { memberId: second.memberId, assignment: Buffer.from('B') },
      ],
    });
    expect(leaderSync.assignment.toString()).toBe('A');
    expect((await followerSync).assignment.toString()).toBe('B');
    return { leader: first.memberId, follower: second.memberId, generationId: 2 };
  }

  it('forms a generation, passes metadata to the leader and assignments to each member', async () => {
    const { leader, follower } = await formGroupOfTwo();
    const described = coordinator.describe('g');
    expect(described.groupState).toBe('Stable');
    expect(described.members.map((m) => [m.memberId, m.memberAssignment.toString()])).toEqual([
      [leader, 'A'],
      [follower, 'B'],
    ]);
  });

  it('expires a member that stops heartbeating and rebalances the rest', async () => {
    const { leader, follower, generationId } = await formGroupOfTwo();
    jest.advanceTimersByTime(6_000);
    expect(coordinator.heartbeat('g', generationId, leader)).toBe(ErrorCode.NONE);
    jest.advanceTimersByTime(6_000); // the follower's 10 s session is over
    expect(coordinator.heartbeat('g', generationId, follower)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.heartbeat('g', generationId, leader)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await coordinator.join(join({ memberId: leader }));
    expect(rejoined).toEqual(expect.objectContaining({ errorCode: 0, generationId: 3, leader }));
    expect(rejoined.members).toHaveLength(1);
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const { leader, follower } = await formGroupOfTwo();
    coordinator.leave('g', []);
    const third = coordinator.join(join());
    // The leader heartbeats and rejoins; the follower keeps heartbeating but never rejoins.
    const leaderRejoin = coordinator.join(join({ memberId: leader }));
    for (let t = 0; t < 20_000; t += 3_000) {
      jest.advanceTimersByTime(3_000);
      coordinator.heartbeat('g', 2, follower);
    }
    const [l, n] = await Promise.all([leaderRejoin, third]);
    expect(l.generationId).toBe(3);
    expect(l.members.map((m) => m.memberId).sort()).toEqual([leader, n.memberId].sort());
    expect(coordinator.heartbeat('g', 3, follower)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('rebalances when a member leaves, and empties the group when the last one does', async () => {
    const { leader, follower } = await formGroupOfTwo();
    expect(coordinator.leave('g', [{ memberId: follower, groupInstanceId: null }])).toEqual([ErrorCode.NONE]);
    expect(coordinator.describe('g').groupState).toBe('PreparingRebalance');
    const rejoin = await coordinator.join(join({ memberId: leader }));
    expect(rejoin.generationId).toBe(3);
    expect(
      coordinator.leave('g', [
        { memberId: leader, groupInstanceId: null },
        { memberId: 'nobody', groupInstanceId: null },
      ]),
    ).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(coordinator.describe('g').groupState).toBe('Empty');
  });

  it('refuses mismatched protocols, unknown members, stale generations and bad session timeouts', async () => {
    const { leader } = await formGroupOfTwo();
    expect(
      (await coordinator.join(join({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] })))
        .errorCode,
    ).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await coordinator.join(join({ memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await coordinator.join(join({ groupId: 'h', sessionTimeoutMs: 100 }))).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect(coordinator.heartbeat('g', 1, leader)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coordinator.validateCommit('g', 1, leader)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coordinator.validateCommit('g', 2, leader)).toBe(ErrorCode.NONE);
    expect(coordinator.validateCommit('standalone', -1, '')).toBe(ErrorCode.NONE);
  });
});
