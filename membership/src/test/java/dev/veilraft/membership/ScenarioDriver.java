package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.ScenarioNode.EvidenceKind;
import dev.veilraft.membership.ScenarioReplica.Applied;
import dev.veilraft.membership.ScenarioReplica.Entry;
import dev.veilraft.membership.ScenarioReplica.Kind;
import dev.veilraft.membership.ScenarioReplica.Result;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.Beacon;
import dev.veilraft.membership.proto.BeaconAnswer;
import dev.veilraft.membership.proto.Challenge;
import dev.veilraft.membership.proto.ChallengeBody;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.JoinHello;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MembershipRules;
import dev.veilraft.membership.proto.OperatorEndorsement;
import dev.veilraft.membership.proto.OperatorSetAction;
import dev.veilraft.membership.proto.RemoveMember;
import dev.veilraft.membership.proto.RemoveNodeAction;
import dev.veilraft.membership.proto.RotateKeyAction;
import dev.veilraft.membership.proto.SignedGov;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs one membership scenario: a text file of commands applied, through {@link ScenarioReplica}
 * (Replica's apply glue), to the pure membership rules, with expectations checked in between and
 * invariants checked after every entry. The driver plays every other party: operators (keys,
 * endorsements, signed proposals and ballots), nodes (keys, simulated SEV-SNP chips, evidence and
 * attacks on it), and an all-knowing leader that stamps leader time and builds key epochs (it
 * derives every epoch secret itself; every member in a new epoch must derive the same one).
 *
 * <p>Grammar (one command per line; {@code #} starts a comment; {@code [..]} is optional;
 * durations are {@code N(ms|s|m|h|d)} with a sign where relative; names are free words):
 * <pre>
 * genesis operators=a,b,c [threshold=N] [diversity=listener|refuse|off] [shared-chip=allow|refuse]
 *         [interval=10s] [grace=20s] [policy-grace=60s] [ttl-max=7d] [nodes-max=a:1,b:2]
 *         [members-max=9] [unsigned=c] [protocol=V]
 * sign-genesis OP                  OP adds its signature to the genesis (after unsigned=OP)
 * start NODE operator=OP [chip=NODE] [measurement=M] [evidence=E] [endorsement=E2] [endorsed-by=OP]
 *                                  InitCluster, then KeyEpoch 1 if it was accepted
 * join NODE operator=OP [chip=NODE] [measurement=M] [evidence=E] [endorsement=E2] [endorsed-by=OP]
 *           [challenger=NODE] [challenge-of=NODE] [issued=-61s] [cluster=other]      AdmitNode
 * upgrade NODE measurement=M       the node now runs other code (same keys, same chip)
 * rotate [stale]                   KeyEpoch for the current members (stale: for the view before the last entry)
 * time +10s | time -5s             the leader's clock (apply keeps leader time monotonic)
 * beacon [sequence=N] [stale]      Beacon with the next sequence (stale: the current one again)
 * answer NODE [sequence=N] [evidence=E] [protocol=V] | answer all [except=NODE,..] [protocol=V]  BeaconAnswer(s)
 * remove NODE [epoch=stale]        RemoveMember with the next epoch built as the leader builds it
 * propose P by=OP ACTION [expires=+1h] [signature=forged] [cluster=other]       signed GovProposal
 *   ACTION: remove-node NODE | rotate-key | set-policy [add=M,..] [withdraw=M,..] [root=other]
 *         | set-operators OP,.. [threshold=N] [nodes-max=OP:N,..] | set-protocol-version V
 * vote P by=OP approve|reject [signature=forged] [cluster=other]   signed GovBallot (unknown P: a made-up id)
 * replay                           the previous entry again, at a new index and the current time
 * expect accepted | refused CODE | code CODE | reason WORDS.. | admitted [voter|listener]
 *        (about every result of the previous command)
 * expect member|gone|not-member NODE ; members|voters|listeners NODE,..|none ; role NODE voter|listener
 * expect pending NODE REASON ; no-pending NODE ; blocked NODE ; not-blocked NODE
 * expect failure NODE CODE|none ; evict-after NODE set|none ; measurement NODE M
 * expect epoch N ; beacon N ; wraps-exclude NODE ; diversity satisfied|violated ; rotation-requested yes|no
 * expect proposal P STATUS ; approvals P OP,..|none ; operators OP,.. threshold=N ; policy-allows M,..
 * expect protocol V ; supports NODE V   (the active protocol version; what NODE advertised)
 * start and join take [protocol=V] too: the version the node's build advertises (absent = 1).
 * </pre>
 * E (evidence) is genuine, replayed, forged, debug, wrong-key, other-measurement or other-chip
 * ({@link EvidenceKind}); E2 (endorsement) is forged, missing or other-cluster. M names code:
 * {@code approved} is the genesis measurement, {@code other} the fixture's altered code, any
 * other word a measurement of its own. An unknown operator name gets a fresh key on first use.
 */
final class ScenarioDriver {
  static final long JOIN_WINDOW_MS = 60_000;
  private static final int NODES_MAX_DEFAULT = 9;
  private static final long EXPIRES_DEFAULT_MS = 3_600_000;

  private final String file;
  private final SimulatedMembers sim;
  private final EvidenceVerifier verifier;
  private final ScenarioCast cast;
  private final Map<String, SignedGov> proposals = new LinkedHashMap<>();
  private final Map<String, Challenge> joinChallenges = new HashMap<>();
  private final Map<Long, EpochSecret> secrets = new HashMap<>();
  private final List<Entry> log = new ArrayList<>();
  private final List<Result> results = new ArrayList<>();
  private GenesisDocument genesis;
  private ScenarioReplica replica;
  private long leaderTimeMs = SimulatedMembers.T0;
  private long counter;
  private List<Result> lastBatch = List.of();
  private Entry lastEntry;
  private MembershipView previousView;
  private KeyEpoch lastEpoch;

  ScenarioDriver(String file, SimulatedMembers sim, EvidenceVerifier verifier) {
    this.file = file;
    this.sim = sim;
    this.verifier = verifier;
    this.cast = new ScenarioCast(sim);
  }

  /** Runs every line; a failure names the file, the line and the command, and shows the last results. */
  ScenarioDriver run(List<String> lines) {
    for (int i = 0; i < lines.size(); i++) {
      ScenarioCommand cmd = ScenarioCommand.parse(file, i + 1, lines.get(i));
      if (cmd == null) {
        continue;
      }
      try {
        execute(cmd);
        cmd.checkAllOptionsRead();
      } catch (AssertionError | Exception e) {
        throw new AssertionError(cmd.where() + ": " + e.getMessage() + lastResults()
            + "\n  rerun: mvn -B -o test -pl membership -Dtest=ScenarioTest -Dveilraft.scenario=" + file, e);
      }
    }
    return this;
  }

  // ---- what a determinism check compares ----

  byte[] clusterId() {
    return genesis.clusterId();
  }

  List<Entry> log() {
    return List.copyOf(log);
  }

  List<Result> results() {
    return List.copyOf(results);
  }

  ScenarioReplica replica() {
    return replica;
  }

  // ---- commands ----

  private void execute(ScenarioCommand cmd) throws Exception {
    if (!cmd.verb.equals("genesis") && !cmd.verb.equals("time") && replica == null) {
      throw new IllegalArgumentException("the scenario must start with 'genesis'");
    }
    switch (cmd.verb) {
      case "genesis" -> genesis(cmd);
      case "sign-genesis" -> genesis = genesis.sign(cmd.words(1).word(0), cast.operatorKey(cmd.word(0)));
      case "start" -> start(cmd);
      case "join" -> join(cmd);
      case "upgrade" -> cast.node(cmd.words(1).word(0)).measurement =
          cast.measurement(requiredOption(cmd, "measurement"));
      case "rotate" -> rotate(cmd);
      case "time" -> leaderTimeMs += ScenarioCommand.durationMs(cmd.words(1).word(0));
      case "beacon" -> beacon(cmd);
      case "answer" -> answer(cmd);
      case "remove" -> remove(cmd);
      case "propose" -> propose(cmd);
      case "vote" -> vote(cmd);
      case "replay" -> {
        cmd.words(0);
        if (lastEntry == null) {
          throw new IllegalArgumentException("nothing to replay yet");
        }
        lastBatch = List.of(commit(lastEntry.kind(), lastEntry.body()).result());
      }
      case "expect" -> ScenarioExpectations.check(this, cmd);
      default -> throw new IllegalArgumentException("unknown command '" + cmd.verb + "'");
    }
  }

  private void genesis(ScenarioCommand cmd) throws GenesisException {
    cmd.words(0);
    if (replica != null) {
      throw new IllegalArgumentException("'genesis' may appear once");
    }
    List<String> names = cmd.list("operators");
    if (names.isEmpty()) {
      throw new IllegalArgumentException("genesis needs operators=a,b,..");
    }
    Map<String, Integer> nodesMax = pairs(cmd.list("nodes-max"));
    Genesis.Builder g = Genesis.newBuilder().setClusterName("scenario-" + file.replaceAll("[^A-Za-z0-9._-]", "-"))
        .setPolicy(Policy.newBuilder().setName("genesis-policy").setAllowSimulated(true)
            .setSimulatedRootSha256(ByteString.copyFrom(sim.vendor.arkSha256()))
            .addAllowedMeasurements(ByteString.copyFrom(cast.measurement("approved"))))
        .setSimulatedRootCert(ByteString.copyFrom(sim.vendor.arkDer()))
        .setJoinWindowMs(JOIN_WINDOW_MS)
        .setMembersMax(Integer.parseInt(cmd.option("members-max", "9")))
        .setGovernanceThreshold(Integer.parseInt(cmd.option("threshold", "1")))
        .setRules(MembershipRules.newBuilder()
            .setDiversity(switch (cmd.choice("diversity", "listener", "listener", "refuse", "off")) {
              case "refuse" -> DiversityAction.DIVERSITY_REFUSE;
              case "off" -> DiversityAction.DIVERSITY_OFF;
              default -> DiversityAction.DIVERSITY_LISTENER;
            })
            .setAllowSharedPlatformInstance(cmd.choice("shared-chip", "refuse", "allow", "refuse").equals("allow"))
            .setReattestIntervalMs(cmd.durationMs("interval", 0))
            .setReattestGraceMs(cmd.durationMs("grace", 0))
            .setPolicyGraceMs(cmd.durationMs("policy-grace", 0))
            .setProposalTtlMsMax(cmd.durationMs("ttl-max", 0)))
        .setProtocolVersion(Integer.parseInt(cmd.option("protocol", "0")));
    for (String name : names) {
      g.addOperators(cast.operator(name, nodesMax.getOrDefault(name, NODES_MAX_DEFAULT)));
    }
    GenesisDocument doc = GenesisDocument.create(g.build());
    List<String> unsigned = cmd.list("unsigned");
    for (String name : names) {
      if (!unsigned.contains(name)) {
        doc = doc.sign(name, cast.operatorKey(name));
      }
    }
    genesis = doc;
    replica = new ScenarioReplica(doc.clusterId(), verifier);
  }

  private void start(ScenarioCommand cmd) throws Exception {
    ScenarioNode founder = newNode(cmd.words(1).word(0), cmd);
    EvidenceKind kind = EvidenceKind.of(cmd.option("evidence", "genuine"));
    String operator = requiredOperator(cmd);
    MemberRecord.Builder record = MemberRecord.newBuilder()
        .setIdentityCert(ByteString.copyFrom(founder.identity.certificateDer()))
        .setKemPublicKey(ByteString.copyFrom(founder.kem.publicKey()))
        .setEvidence(cast.evidence(founder, genesis.clusterId(), kind))
        .setRaftAddress(founder.name + ".scenario:7000").setApiAddress(founder.name + ".scenario:8000")
        .setProtocolVersionMax(Integer.parseInt(cmd.option("protocol", "0")));
    endorsement(cmd, founder, operator, genesis.clusterId()).ifPresent(record::setEndorsement);
    InitCluster init = InitCluster.newBuilder().setGenesis(ByteString.copyFrom(genesis.genesisBytes()))
        .setFounder(record).addAllGenesisSignatures(genesis.signatures()).build();
    Applied applied = commit(Kind.INIT, init);
    List<Result> batch = new ArrayList<>(List.of(applied.result()));
    if (applied.result().accepted() && view().epoch() == 0) {
      batch.add(commit(Kind.KEY_EPOCH, KeyEpochs.propose(view(), null, fresh())).result());
    }
    lastBatch = batch;
  }

  private void join(ScenarioCommand cmd) throws Exception {
    String name = cmd.words(1).word(0);
    ScenarioNode joiner = cast.hasNode(name) && !cmd.has("chip") && !cmd.has("measurement") ? cast.node(name)
        : newNode(name, cmd);
    String operator = requiredOperator(cmd);
    byte[] clusterId = clusterOption(cmd);
    JoinHello hello = JoinHello.newBuilder().setIdentityCert(ByteString.copyFrom(joiner.identity.certificateDer()))
        .setKemPublicKey(ByteString.copyFrom(joiner.kem.publicKey())).setNonce(ByteString.copyFrom(nonce("hello")))
        .setClusterId(ByteString.copyFrom(clusterId)).build();
    Challenge challenge;
    if (cmd.has("challenge-of")) {
      challenge = Optional.ofNullable(joinChallenges.get(cmd.option("challenge-of", null))).orElseThrow(() ->
          new IllegalArgumentException("node " + cmd.option("challenge-of", null) + " was never challenged"));
    } else {
      ScenarioNode member = cmd.has("challenger") ? cast.node(cmd.option("challenger", null)) : firstMember();
      long issuedAt = leaderTimeMs + cmd.durationMs("issued", 0);
      challenge = Challenges.create(member.identity, member.kem.publicKey(),
          cast.evidence(member, hello.getNonce().toByteArray(), EvidenceKind.GENUINE), genesis.clusterId(),
          nonce("challenge"), issuedAt, hello, joiner.identity.spki());
    }
    joinChallenges.put(joiner.name, challenge);
    byte[] memberNonce = ChallengeBody.parseFrom(challenge.getBody()).getMemberNonce().toByteArray();
    JoinRequest.Builder request = JoinRequest.newBuilder().setHello(hello).setChallenge(challenge)
        .setEvidence(cast.evidence(joiner, memberNonce, EvidenceKind.of(cmd.option("evidence", "genuine"))))
        .setRaftAddress(joiner.name + ".scenario:7000").setApiAddress(joiner.name + ".scenario:8000")
        .setProtocolVersionMax(Integer.parseInt(cmd.option("protocol", "0")));
    endorsement(cmd, joiner, operator, genesis.clusterId()).ifPresent(request::setEndorsement);
    lastBatch = List.of(commit(Kind.ADMIT, AdmitNode.newBuilder().setRequest(request).build()).result());
  }

  private void rotate(ScenarioCommand cmd) throws CryptoException {
    boolean stale = staleWord(cmd);
    if (stale && previousView == null) {
      throw new IllegalArgumentException("no entry yet, so no stale view to rotate on");
    }
    MembershipView base = stale ? previousView : view();
    lastBatch = List.of(commit(Kind.KEY_EPOCH, KeyEpochs.propose(base, secrets.get(base.epoch()), fresh())).result());
  }

  private void beacon(ScenarioCommand cmd) {
    boolean stale = staleWord(cmd);
    long current = view().beacon().getSequence();
    long sequence = Long.parseLong(cmd.option("sequence", String.valueOf(stale ? current : current + 1)));
    Beacon beacon = Beacon.newBuilder().setSequence(sequence).setNonce(ByteString.copyFrom(nonce("beacon"))).build();
    lastBatch = List.of(commit(Kind.BEACON, beacon).result());
  }

  private void answer(ScenarioCommand cmd) {
    List<ScenarioNode> answering = new ArrayList<>();
    if (cmd.words(1).word(0).equals("all")) {
      List<String> except = cmd.list("except");
      for (String id : view().memberIds()) {
        ScenarioNode n = cast.nodeWithId(id);
        if (!except.contains(n.name)) {
          answering.add(n);
        }
      }
    } else {
      answering.add(cast.node(cmd.word(0)));
    }
    long sequence = Long.parseLong(cmd.option("sequence", String.valueOf(view().beacon().getSequence())));
    EvidenceKind kind = EvidenceKind.of(cmd.option("evidence", "genuine"));
    int protocol = Integer.parseInt(cmd.option("protocol", "0"));
    List<Result> batch = new ArrayList<>();
    for (ScenarioNode n : answering) {
      // Before the first beacon there is no nonce to bind: the node makes one up (and is refused).
      byte[] beaconNonce = view().beacon().getSequence() == 0 ? nonce("no beacon yet")
          : view().beacon().getNonce().toByteArray();
      BeaconAnswer answer = BeaconAnswer.newBuilder().setNodeId(n.id()).setSequence(sequence)
          .setEvidence(cast.evidence(n, beaconNonce, kind)).setProtocolVersionMax(protocol).build();
      batch.add(commit(Kind.ANSWER, answer).result());
    }
    lastBatch = batch;
  }

  private void remove(ScenarioCommand cmd) throws CryptoException {
    String id = cast.idOrName(cmd.words(1).word(0));
    MembershipView v = view();
    EpochSecret current = secrets.get(v.epoch());
    RemoveMember entry;
    if (cmd.choice("epoch", "next", "next", "stale").equals("stale") || v.member(id).isEmpty()) {
      // The next epoch for the members as they are, the removed node included: the rules must refuse it.
      entry = RemoveMember.newBuilder().setNodeId(id).setNextEpoch(KeyEpochs.propose(v, current, fresh())).build();
    } else {
      entry = Removals.propose(v, id, current, fresh());
    }
    lastBatch = List.of(commit(Kind.REMOVE, entry).result());
  }

  private void propose(ScenarioCommand cmd) {
    String name = cmd.word(0);
    if (proposals.containsKey(name)) {
      throw new IllegalArgumentException("proposal " + name + " was proposed before; use 'replay' to send it again");
    }
    String by = requiredOption(cmd, "by");
    GovProposal.Builder p = GovernanceMessages.proposal(clusterOption(cmd), by,
        leaderTimeMs + cmd.durationMs("expires", EXPIRES_DEFAULT_MS), "scenario " + file + " proposal " + name);
    String action = cmd.word(1);
    switch (action) {
      case "remove-node" -> p.setRemoveNode(RemoveNodeAction.newBuilder()
          .setNodeId(cast.idOrName(cmd.words(3).word(2))));
      case "rotate-key" -> p.setRotateKey(RotateKeyAction.getDefaultInstance());
      case "set-protocol-version" -> p.setSetProtocolVersion(dev.veilraft.membership.proto.SetProtocolVersionAction
          .newBuilder().setVersion(Integer.parseInt(cmd.words(3).word(2))));
      case "set-policy" -> p.setSetPolicy(policyChange(cmd.words(2), name));
      case "set-operators" -> {
        Map<String, Integer> nodesMax = pairs(cmd.list("nodes-max"));
        OperatorSetAction.Builder set = OperatorSetAction.newBuilder()
            .setThreshold(Integer.parseInt(cmd.option("threshold", "1")));
        for (String op : cmd.words(3).word(2).split(",")) {
          set.addOperators(cast.operator(op, nodesMax.getOrDefault(op, NODES_MAX_DEFAULT)));
        }
        p.setSetOperators(set);
      }
      default -> throw new IllegalArgumentException("unknown proposal action '" + action
          + "' (remove-node, rotate-key, set-policy, set-operators, set-protocol-version)");
    }
    SignedGov signed = GovernanceMessages.sign(p.build(), signer(cmd, by));
    proposals.put(name, signed);
    lastBatch = List.of(commit(Kind.GOV_PROPOSAL, signed).result());
  }

  private Policy policyChange(ScenarioCommand cmd, String proposal) {
    Policy.Builder policy = view().policy().toBuilder().setName("policy-" + proposal);
    List<ByteString> allowed = new ArrayList<>(policy.getAllowedMeasurementsList());
    for (String m : cmd.list("withdraw")) {
      allowed.remove(ByteString.copyFrom(cast.measurement(m)));
    }
    for (String m : cmd.list("add")) {
      allowed.add(ByteString.copyFrom(cast.measurement(m)));
    }
    policy.clearAllowedMeasurements().addAllAllowedMeasurements(allowed);
    if (cmd.choice("root", "genesis", "genesis", "other").equals("other")) {
      policy.setSimulatedRootSha256(ByteString.copyFrom(Hashes.sha256(Hashes.utf8("another simulated root"))));
    }
    return policy.build();
  }

  private void vote(ScenarioCommand cmd) {
    String name = cmd.words(2).word(0);
    String by = requiredOption(cmd, "by");
    String choice = cmd.word(1);
    if (!choice.equals("approve") && !choice.equals("reject")) {
      throw new IllegalArgumentException("a vote is 'approve' or 'reject', not '" + choice + "'");
    }
    byte[] id = proposals.containsKey(name) ? GovernanceMessages.proposalId(proposals.get(name))
        : Hashes.sha256(Hashes.utf8("a proposal nobody made: " + name));
    SignedGov ballot = GovernanceMessages.sign(GovernanceMessages.ballot(clusterOption(cmd), id, by,
        choice.equals("approve")), signer(cmd, by));
    lastBatch = List.of(commit(Kind.GOV_BALLOT, ballot).result());
  }

  // ---- committing entries ----

  private Applied commit(Kind kind, Message body) {
    Entry entry = new Entry(kind, body, log.size() + 1L, leaderTimeMs);
    MembershipView before = replica.view();
    Applied applied;
    try {
      applied = replica.apply(entry);
    } catch (dev.veilraft.state.StateException e) {
      throw new IllegalStateException("in-memory ledger failed: " + e.getMessage(), e);
    }
    log.add(entry);
    results.add(applied.result());
    lastEntry = entry;
    previousView = before;
    ScenarioInvariants.check(before, entry, applied);
    if (applied.epoch() != null) {
      followEpoch(applied);
    }
    return applied;
  }

  /** Every member named in the accepted epoch opens its own wrap and derives S_e matching the commitment. */
  private void followEpoch(Applied applied) {
    KeyEpoch entry = applied.epoch();
    EpochSecret previous = entry.getEpoch() == 1 ? null : secrets.get(entry.getEpoch() - 1);
    EpochSecret derived = null;
    for (HpkeWrap wrap : entry.getWrapsList()) {
      ScenarioNode member = cast.nodeWithId(wrap.getNodeId());
      EpochSecret s;
      try {
        byte[] info = KeyEpochs.wrapInfo(genesis.clusterId(), entry.getEpoch());
        byte[] freshE = EventSealing.unwrap(member.kem, info, wrap);
        s = KeyEpochs.derive(applied.epochView(), previous, entry.getEpoch(), freshE);
      } catch (CryptoException e) {
        throw new AssertionError("member " + member.name + " cannot open its wrap of epoch " + entry.getEpoch(), e);
      }
      if (!s.matches(entry.getKeyId().toByteArray())
          || !Arrays.equals(s.groupPublicKey(), entry.getGroupPublicKey().toByteArray())) {
        throw new AssertionError("member " + member.name + " derives a secret of epoch " + entry.getEpoch()
            + " that does not match the entry's key id: replicas would diverge");
      }
      derived = s;
    }
    secrets.put(entry.getEpoch(), derived);
    lastEpoch = entry;
  }

  // ---- parts ----

  MembershipView view() {
    return replica.view();
  }

  List<Result> lastBatch() {
    return lastBatch;
  }

  KeyEpoch lastEpoch() {
    return lastEpoch;
  }

  Optional<SignedGov> proposal(String name) {
    return Optional.ofNullable(proposals.get(name));
  }

  Map<String, SignedGov> proposals() {
    return proposals;
  }

  ScenarioCast cast() {
    return cast;
  }

  /** The named operator's key, or with {@code signature=forged} a key nobody listed. */
  private OperatorKey signer(ScenarioCommand cmd, String by) {
    return cast.signer(by, cmd.choice("signature", "genuine", "genuine", "forged").equals("forged"));
  }

  private byte[] clusterOption(ScenarioCommand cmd) {
    return cmd.choice("cluster", "this", "this", "other").equals("other") ? ScenarioCast.OTHER_CLUSTER
        : genesis.clusterId();
  }

  private ScenarioNode newNode(String name, ScenarioCommand cmd) {
    return cast.newNode(name, cmd.option("chip", null), cmd.option("measurement", "approved"));
  }

  /** The operator's endorsement of {@code node}, or the variant the command asks for (empty: none at all). */
  private Optional<OperatorEndorsement> endorsement(ScenarioCommand cmd, ScenarioNode node, String operator,
      byte[] clusterId) {
    return cast.endorsement(cmd.option("endorsement", "genuine"), operator, cmd.option("endorsed-by", operator), node,
        clusterId);
  }

  /** The earliest admitted member the scenario knows: it issues challenges unless a command names another. */
  private ScenarioNode firstMember() {
    return view().members().values().stream()
        .sorted(java.util.Comparator.comparingLong(MemberRecord::getAdmittedIndex))
        .map(m -> cast.nodeWithId(m.getNodeId())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no member to issue the challenge: 'start' first"));
  }

  private String requiredOperator(ScenarioCommand cmd) {
    return requiredOption(cmd, "operator");
  }

  /** Whether the command's only word is {@code stale} (it takes nothing else). */
  private static boolean staleWord(ScenarioCommand cmd) {
    if (cmd.wordCount() > 1 || (cmd.wordCount() == 1 && !cmd.word(0).equals("stale"))) {
      throw new IllegalArgumentException("'" + cmd.verb + "' takes no word but 'stale'");
    }
    return cmd.wordCount() == 1;
  }

  private static String requiredOption(ScenarioCommand cmd, String key) {
    String value = cmd.option(key, null);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("'" + cmd.verb + "' needs " + key + "=..");
    }
    return value;
  }

  private static Map<String, Integer> pairs(List<String> items) {
    Map<String, Integer> out = new HashMap<>();
    for (String item : items) {
      String[] kv = item.split(":");
      if (kv.length != 2) {
        throw new IllegalArgumentException("'" + item + "' is not NAME:N");
      }
      out.put(kv[0], Integer.parseInt(kv[1]));
    }
    return out;
  }

  /** 32 bytes unique within the scenario and the same on every run: no randomness in nonces. */
  private byte[] nonce(String what) {
    return Hashes.sha256(Hashes.utf8("scenario " + file + " " + what + " " + (++counter)));
  }

  private byte[] fresh() {
    return nonce("fresh epoch input");
  }

  private String lastResults() {
    if (lastBatch.isEmpty()) {
      return "";
    }
    StringBuilder s = new StringBuilder("\n  last results:");
    for (Result r : lastBatch) {
      s.append("\n    ").append(r.kind()).append(r.accepted() ? " accepted " : " refused ").append(r.code())
          .append(": ").append(r.reason());
    }
    return s.toString();
  }
}
