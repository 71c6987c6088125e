// In the sim/ folder but in package dev.veilraft.membership: the scenario driver it drives is package-private.
package dev.veilraft.membership;

import dev.veilraft.membership.ScenarioReplica.Applied;
import dev.veilraft.membership.ScenarioReplica.Entry;
import dev.veilraft.membership.ScenarioReplica.Kind;
import dev.veilraft.membership.ScenarioReplica.Result;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * The membership rules and the join protocol in a fully seeded in-memory network: no threads, one
 * event queue ordered by simulated time, every choice drawn from one seed. Nodes send join
 * messages (hello, challenge, request) with random delays, losses and duplicates; the leader
 * commits what arrives, rotates keys after joins (sometimes on a stale view), issues beacons that
 * members answer or not, removes members directly or by governance, and its clock jumps. Each
 * committed entry goes through {@link ScenarioDriver} (the scenario files' driver, which applies it
 * to {@link ScenarioReplica} and checks {@link ScenarioInvariants} after every entry); after every
 * event this class checks its own oracle:
 * <ul>
 *   <li>a join with bad evidence, or whose challenge is older than the join window when its
 *       admission commits, never admits the node;</li>
 *   <li>the epoch never goes back, and an accepted key epoch or removal adds exactly one;</li>
 *   <li>every member was admitted by an accepted entry for its own id; a removed node is never a
 *       member again;</li>
 * </ul>
 * and at the end, determinism: a second replica applying the committed log from scratch gets the
 * same results and the same view, byte for byte. A failure names the seed and prints the script
 * (scenario commands) it ran, which can be saved as a {@code .scenario} file.
 */
final class MembershipSimulation {
  /** Events per run (each becomes one or a few committed entries). */
  static final int eventsMax = 16;
  /** Queue steps per run at most (events schedule further events). */
  static final int stepsMax = eventsMax * 8;
  /** Nodes that may try to join, besides the founder. */
  static final int joinersMax = 5;
  static final long JOIN_WINDOW_MS = ScenarioDriver.JOIN_WINDOW_MS;
  /** Evidence a fresh joiner may present besides genuine ({@code replayed} needs evidence sent before). */
  private static final String[] BAD_EVIDENCE = {"forged", "debug", "wrong-key", "other-measurement"};

  private final long seed;
  private final Random random;
  private final SimulatedMembers sim;
  private final MemoizingVerifier verifier = new MemoizingVerifier();
  private final ScenarioDriver driver;
  private final List<String> script = new ArrayList<>();
  private final PriorityQueue<Event> queue = new PriorityQueue<>();
  private final List<String> operators = new ArrayList<>();
  private final Set<String> everRemoved = new HashSet<>();
  private final Set<String> started = new LinkedHashSet<>();
  /** Nodes that sent genuine evidence once (only they have evidence to replay). */
  private final Set<String> sentGenuine = new HashSet<>();
  private long nowMs;
  private long leaderMs;
  private long sequence;
  private long scheduled;
  private int proposals;
  private int stepsRun;

  /** Something that happens at a simulated time; ties break by the order they were scheduled. */
  private record Event(long atMs, long order, String what, Runnable action) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      return atMs != o.atMs ? Long.compare(atMs, o.atMs) : Long.compare(order, o.order);
    }
  }

  MembershipSimulation(long seed, SimulatedMembers sim) {
    this.seed = seed;
    this.random = new Random(seed);
    this.sim = sim;
    this.driver = new ScenarioDriver("sim-" + seed, sim, verifier);
  }

  /** Runs the whole simulation; throws AssertionError naming the seed and the script on any violation. */
  MembershipSimulation run() {
    return run(stepsMax);
  }

  /**
   * Runs the first {@code stepLimit} queue steps, then the determinism check. The seed fixes
   * every choice, so a shorter run is a prefix of the longer one: the shrinker's lever.
   */
  MembershipSimulation run(int stepLimit) {
    try {
      genesis();
      for (int i = 0; i < eventsMax; i++) {
        schedule(between(0, 20_000), "step", this::randomStep);
      }
      while (!queue.isEmpty() && stepsRun < Math.min(stepLimit, stepsMax)) {
        stepsRun++;
        Event e = queue.poll();
        nowMs = e.atMs();
        e.action().run();
        leaderDuties();
      }
      checkDeterminism();
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("membership simulation seed " + seed + " failed at step " + stepsRun + ": "
          + e.getMessage() + "\n  script:\n    " + String.join("\n    ", script)
          + "\n  replay: mvn -B -o test -pl membership -Dtest=MembershipSimulationTest -Dveilraft.sim.seed=" + seed
          + (stepLimit < stepsMax ? " -Dveilraft.sim.steps=" + stepLimit : ""), e);
    }
    return this;
  }

  /** Queue steps the last run executed. */
  int stepsRun() {
    return stepsRun;
  }

  List<String> script() {
    return List.copyOf(script);
  }

  ScenarioDriver driver() {
    return driver;
  }

  // ---- the world ----

  private void genesis() {
    int count = 1 + random.nextInt(3);
    for (int i = 0; i < count; i++) {
      operators.add("op" + (char) ('a' + i));
    }
    String diversity = pick("listener", "refuse", "off");
    String sharedChip = random.nextInt(4) == 0 ? "refuse" : "allow";
    command("genesis operators=" + String.join(",", operators) + " threshold=" + (1 + random.nextInt(count))
        + " diversity=" + diversity + " shared-chip=" + sharedChip + " interval=10s grace=20s");
    command("start n0 operator=" + operators.get(0));
    started.add("n0");
  }

  private void randomStep() {
    int dice = random.nextInt(100);
    if (dice < 42) {
      joinProtocol();
    } else if (dice < 56) {
      leaderAt(nowMs);
      command(random.nextInt(4) == 0 && sequence > 0 ? "rotate stale" : "rotate");
    } else if (dice < 64) {
      beaconRound();
    } else if (dice < 74) {
      removal();
    } else if (dice < 84) {
      leaderAt(nowMs);
      if (sequence > 0) {
        command("replay");
      }
    } else {
      schedule(between(1_000, 90_000), "clock jump", () -> leaderAt(nowMs));
    }
  }

  /**
   * J sends hello to a member M; M answers with a challenge issued on arrival; J sends its request;
   * M proposes the admission, which the leader commits. Every message may be late; the request may
   * be lost (nothing happens) or duplicated (the same challenge arrives twice).
   */
  private void joinProtocol() {
    // Nodes that were refused, or removed, may try again.
    List<String> refused = started.stream().filter(n -> driver.cast().hasNode(n) && !isMember(n)).toList();
    boolean retry = !refused.isEmpty() && random.nextInt(4) == 0;
    if (!retry && started.size() > joinersMax) {
      return;
    }
    // A node refused or removed before tries again (its old evidence replayed, or fresh), or a new node joins.
    String joiner = retry ? refused.get(random.nextInt(refused.size())) : "n" + started.size();
    started.add(joiner);
    String operator = operators.get(random.nextInt(operators.size()));
    String evidence = retry ? (sentGenuine.contains(joiner) && random.nextBoolean() ? "replayed" : "genuine")
        : random.nextInt(4) == 0 ? BAD_EVIDENCE[random.nextInt(BAD_EVIDENCE.length)] : "genuine";
    // Most nodes share the founder's chip (shared-chip=allow makes that legal): a fresh chip costs an RSA-4096
    // signature. A retrying node keeps its chip and keys.
    String chip = retry ? "" : random.nextInt(10) > 0 ? " chip=n0" : "";
    long hello = between(1, 300);
    long challenge = between(1, 300);
    long request = random.nextInt(10) == 0 ? between(JOIN_WINDOW_MS, 2 * JOIN_WINDOW_MS) : between(1, 500);
    long commit = between(5, 200);
    if (random.nextInt(12) == 0) {
      return;
    }
    long age = challenge + request + commit;
    String join = "join " + joiner + " operator=" + operator + " evidence=" + evidence + chip + " issued=-" + age + "ms";
    schedule(hello + age, "admit " + joiner, () -> admit(joiner, join, evidence, age));
    if (random.nextInt(12) == 0) {
      // The joiner reuses its old challenge with a new hello later: the challenge no longer matches.
      schedule(hello + age + between(1, 2_000), "old challenge of " + joiner, () -> {
        leaderAt(nowMs);
        command("join " + joiner + " operator=" + operator + " challenge-of=" + joiner);
      });
    }
  }

  private void admit(String joiner, String join, String evidence, long ageMs) {
    leaderAt(nowMs);
    boolean wasMember = isMember(joiner);
    command(join);
    if (evidence.equals("genuine")) {
      sentGenuine.add(joiner);
    }
    if (random.nextInt(8) == 0) {
      // The network delivered the request twice: the leader commits the same admission again.
      command("replay");
    }
    if (!wasMember && (!evidence.equals("genuine") || ageMs > JOIN_WINDOW_MS || everRemovedName(joiner))) {
      require(!isMember(joiner), joiner + " was admitted with " + evidence + " evidence, a challenge " + ageMs
          + " ms old" + (everRemovedName(joiner) ? ", after its removal" : ""));
    }
    if (isMember(joiner) && random.nextInt(3) > 0) {
      // The admitting member rotates the key once the joiner is ready.
      schedule(between(10, 1_000), "rotate after " + joiner, () -> {
        leaderAt(nowMs);
        command("rotate");
      });
    }
  }

  private void beaconRound() {
    leaderAt(nowMs);
    command("beacon");
    List<String> members = memberNames();
    if (members.isEmpty()) {
      return;
    }
    String silent = random.nextInt(3) == 0 ? members.get(random.nextInt(members.size())) : null;
    schedule(between(10, 30_000), "answers", () -> {
      leaderAt(nowMs);
      if (memberNames().isEmpty()) {
        return;
      }
      command("answer all" + (silent != null && memberNames().contains(silent) ? " except=" + silent : ""));
    });
  }

  private void removal() {
    List<String> members = memberNames();
    if (members.size() < 2) {
      return;
    }
    String victim = members.get(1 + random.nextInt(members.size() - 1));
    leaderAt(nowMs);
    if (random.nextBoolean()) {
      command("remove " + victim + (random.nextInt(5) == 0 ? " epoch=stale" : ""));
    } else {
      String p = "p" + (++proposals);
      command("propose " + p + " by=" + operators.get(0) + " remove-node " + victim);
      for (int i = 1; i < operators.size(); i++) {
        String voter = operators.get(i);
        String choice = random.nextInt(4) == 0 ? "reject" : "approve";
        schedule(between(10, 5_000), "vote", () -> {
          leaderAt(nowMs);
          command("vote " + p + " by=" + voter + " " + choice);
        });
      }
    }
  }

  /**
   * What the leader's membership duties do between events: remove every pending removal that does
   * not break quorum (the removal entry starts the next epoch), as a leader would.
   */
  private void leaderDuties() {
    MembershipView v = driver.view();
    if (!v.initialized()) {
      return;
    }
    for (var pending : v.pendingRemovals()) {
      if (!Removals.blocked(driver.view(), pending) && driver.view().member(pending.getNodeId()).isPresent()) {
        command("remove " + driver.cast().nameOf(pending.getNodeId()));
      }
    }
  }

  // ---- commands and the oracle ----

  /** Runs one scenario command and checks the oracle after it. */
  private void command(String line) {
    long epochBefore = driver.replica() == null ? 0 : driver.view().epoch();
    int resultsBefore = driver.results().size();
    script.add(line);
    driver.run(List.of(line));
    sequence++;
    List<Result> results = driver.results();
    long epoch = driver.view().epoch();
    require(epoch >= epochBefore, "epoch went back from " + epochBefore + " to " + epoch + " after '" + line + "'");
    long added = results.subList(resultsBefore, results.size()).stream()
        .filter(r -> r.accepted() && (r.kind() == Kind.KEY_EPOCH || r.kind() == Kind.REMOVE)).count();
    require(epoch == epochBefore + added, "after '" + line + "' the epoch is " + epoch + ", expected " + epochBefore
        + " + " + added + " accepted epoch entries");
    checkMembers();
  }

  private void checkMembers() {
    MembershipView v = driver.view();
    if (!v.initialized()) {
      return;
    }
    Set<String> admitted = new HashSet<>();
    for (Result r : driver.results()) {
      if (r.accepted() && (r.kind() == Kind.ADMIT || r.kind() == Kind.INIT)) {
        admitted.add(r.nodeId());
      }
    }
    for (String id : v.memberIds()) {
      require(admitted.contains(id) || id.equals(founderId()), "member " + id + " was never admitted");
      require(!everRemoved.contains(id), "removed node " + id + " is a member again");
    }
    everRemoved.addAll(v.toSnapshot().getRemovedNodeIdsList());
  }

  private String founderId() {
    return driver.cast().hasNode("n0") ? driver.cast().node("n0").id() : "";
  }

  /** A second replica applies the committed log from scratch: same results, same view. */
  private void checkDeterminism() {
    ScenarioReplica second = new ScenarioReplica(driver.clusterId(), verifier);
    List<Result> results = new ArrayList<>();
    try {
      for (Entry entry : driver.log()) {
        Applied applied = second.apply(entry);
        results.add(applied.result());
      }
    } catch (dev.veilraft.state.StateException e) {
      throw new AssertionError("replay failed: " + e.getMessage(), e);
    }
    require(results.equals(driver.results()), "a second replica applying the same log got other results");
    require(second.view().toSnapshot().equals(driver.replica().view().toSnapshot()),
        "a second replica applying the same log ended in another view");
  }

  private boolean everRemovedName(String name) {
    return driver.cast().hasNode(name) && everRemoved.contains(driver.cast().node(name).id());
  }

  private boolean isMember(String name) {
    return driver.cast().hasNode(name) && driver.view().member(driver.cast().node(name).id()).isPresent();
  }

  private List<String> memberNames() {
    List<String> names = new ArrayList<>();
    for (String id : driver.view().memberIds()) {
      names.add(driver.cast().nameOf(id));
    }
    return names;
  }

  /** Moves the leader's clock to {@code atMs} of simulated time (it only moves forward). */
  private void leaderAt(long atMs) {
    if (atMs > leaderMs) {
      command(String.format(Locale.ROOT, "time +%dms", atMs - leaderMs));
      leaderMs = atMs;
    }
  }

  private void schedule(long afterMs, String what, Runnable action) {
    queue.add(new Event(nowMs + afterMs, scheduled++, what, action));
  }

  private long between(long min, long max) {
    return min + (long) (random.nextDouble() * (max - min));
  }

  private String pick(String... options) {
    return options[random.nextInt(options.length)];
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }
}
