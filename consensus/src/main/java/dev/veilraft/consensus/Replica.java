package dev.veilraft.consensus;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EntryError;
import dev.veilraft.consensus.proto.EventGroup;
import dev.veilraft.consensus.proto.InitDecision;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.AliasedProtobuf;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.DeterministicRandom;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.KeyedHash;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.seal.EpochSecretsErasedException;
import dev.veilraft.crypto.seal.QueryResponseSealing;
import dev.veilraft.crypto.seal.SessionKeyCache;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.membership.Admission;
import dev.veilraft.membership.Bootstrap;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipStore;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.Governance;
import dev.veilraft.membership.GovernanceActions;
import dev.veilraft.membership.GovernanceStore;
import dev.veilraft.membership.ProtocolVersions;
import dev.veilraft.membership.Reattestation;
import dev.veilraft.membership.Removals;
import dev.veilraft.membership.proto.RemoveMember;
import dev.veilraft.crypto.Check;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.KeyEpochDecision;
import dev.veilraft.state.RecordSink;
import dev.veilraft.state.RecordSource;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StoreReplacement;
import java.io.IOException;
import dev.veilraft.state.StateStore;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppHost;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The deterministic apply path: a committed log entry and the state before it give the state
 * after it and the reply. No Ratis types, no clock (time comes from the entry's leader stamp),
 * no randomness, no I/O beyond the state transaction. Bad entries get a deterministic
 * {@link EntryError}; local corruption halts the replica instead of letting it diverge.
 */
public final class Replica {
  static final String SECRETS_NAMESPACE = "node/epochs";
  static final String APP_RANDOM_LABEL = "veilraft/app-random/v1";
  /**
   * Namespaces that belong to this node, not to the replicated state: kept out of snapshots and
   * carried over from the old store when one is installed. Their names start with {@value
   * SnapshotFile#NODE_LOCAL_PREFIX}.
   */
  static final List<String> NODE_LOCAL_NAMESPACES = List.of(SECRETS_NAMESPACE);
  private static final int COPY_PAGE_RECORDS = 1_000;

  /** Replaced only by {@link #installSnapshot}, which Ratis calls while no entry is being applied. */
  private volatile StateStore store;
  /** Null when this replica cannot install snapshots (tests). */
  private final StoreReplacement replacement;
  private final byte[] clusterId;
  private final String nodeId;
  private final KemKeyPair kem;
  private final EvidenceVerifier verifier;
  private final EpochKeyring keyring;
  private final AppHost apps;
  /** Per epoch, the key that seeds each entry's deterministic random source (derived from S_e). */
  private final Map<Long, KeyedHash> randomKeys = new ConcurrentHashMap<>();
  /** Per epoch, the key of member front ends' event tags (derived from S_e). */
  private final Map<Long, KeyedHash> memberTagKeys = new ConcurrentHashMap<>();
  /**
   * Keys of client sessions (session-form requests) seen lately: a memo that saves the HPKE
   * decapsulation on all but a session's first request. Changes no result, only speed: a miss
   * recomputes the same keys, so replicas with different cache contents stay identical.
   */
  private final SessionKeyCache sessions = new SessionKeyCache();
  private final List<Consumer<MembershipView>> listeners = new CopyOnWriteArrayList<>();
  private final List<AppEventListener> appListeners = new CopyOnWriteArrayList<>();
  /**
   * Events the entry being applied ran successfully, told to {@link #appListeners} once the entry
   * is committed to the store (never for an entry whose commit failed). Apply thread only.
   */
  private final List<AppEventListener.Committed> committedEvents = new java.util.ArrayList<>();
  private volatile MembershipView view;
  /** Why this replica halted; null while it is healthy. Once set, it applies nothing more. */
  private volatile String haltedBecause;
  /** Whether the halt came from this node's disk (a restart on a fixed disk resumes), not from an entry. */
  private volatile boolean haltedOnDisk;
  private final List<Consumer<Halt>> haltListeners = new CopyOnWriteArrayList<>();
  private final Object haltLock = new Object();
  /** The highest protocol version this replica applies ({@link ProtocolVersions#BUILD_MAX} outside tests). */
  private final long protocolVersionMax;

  public Replica(StateStore store, byte[] clusterId, String nodeId, KemKeyPair kem, EvidenceVerifier verifier,
      EpochKeyring keyring, AppHost apps) throws StateException {
    this(store, null, clusterId, nodeId, kem, verifier, keyring, apps);
  }

  /** A replica that can replace {@code store} by a snapshot's through {@code replacement}. */
  public Replica(StateStore store, StoreReplacement replacement, byte[] clusterId, String nodeId, KemKeyPair kem,
      EvidenceVerifier verifier, EpochKeyring keyring, AppHost apps) throws StateException {
    this(store, replacement, clusterId, nodeId, kem, verifier, keyring, apps, ProtocolVersions.BUILD_MAX);
  }

  /**
   * As above, applying protocol versions up to {@code protocolVersionMax} instead of this build's
   * {@link ProtocolVersions#BUILD_MAX}: tests use it to stand in for an older or newer build.
   * Production code passes the build's constant (the other constructors do).
   */
  public Replica(StateStore store, StoreReplacement replacement, byte[] clusterId, String nodeId, KemKeyPair kem,
      EvidenceVerifier verifier, EpochKeyring keyring, AppHost apps, long protocolVersionMax) throws StateException {
    Check.argument(protocolVersionMax >= ProtocolVersions.DEFAULT, "protocolVersionMax must be at least "
        + ProtocolVersions.DEFAULT + ", got " + protocolVersionMax);
    this.protocolVersionMax = protocolVersionMax;
    this.store = store;
    this.replacement = replacement;
    this.apps = apps;
    this.clusterId = clusterId.clone();
    this.nodeId = nodeId;
    this.kem = kem;
    this.verifier = verifier;
    this.keyring = keyring;
    this.view = MembershipStore.load(store);
    loadSecrets(store, view);
    haltIfVersionAboveBuild("its stored state");
  }

  /**
   * Halts at once when the state already in place (restored at start, or installed from a
   * snapshot) is at a protocol version above this build's: this build could not read it as its
   * peers do, so it must not answer reads from it either. The next entry would halt anyway
   * ({@link ProtocolGate}); this also covers the time until one arrives.
   */
  private void haltIfVersionAboveBuild(String what) {
    MembershipView v = view;
    if (v.initialized() && v.protocolVersion() > protocolVersionMax) {
      String reason = "at index " + store.appliedIndex() + ": " + what + " is at protocol version "
          + v.protocolVersion() + ", this build applies up to " + protocolVersionMax + ": upgrade this node";
      halt(reason, false);
      org.slf4j.LoggerFactory.getLogger(Replica.class).error("replica halted: {}", reason);
    }
  }

  /**
   * Puts every secret {@code from} persists into the keyring: those of erased epochs are gone from
   * the store, and those of epochs after {@code v}'s (history received before replay, or secrets
   * carried into an installed snapshot) are loaded too.
   */
  private void loadSecrets(StateStore from, MembershipView v) throws StateException {
    byte[] after = null;
    while (true) {
      List<StateRecord> page = from.scan(SECRETS_NAMESPACE, after, null, COPY_PAGE_RECORDS);
      for (StateRecord r : page) {
        dev.veilraft.crypto.Check.invariant(r.key().length == 8, "node secret key is " + r.key().length
            + " bytes, expected a u64 epoch");
        keyring.put(EpochSecret.restore(java.nio.ByteBuffer.wrap(r.key()).getLong(), r.value()));
      }
      if (page.size() < COPY_PAGE_RECORDS) {
        return;
      }
      byte[] last = page.get(page.size() - 1).key();
      after = Arrays.copyOf(last, last.length + 1);
    }
  }

  /** The current store (it changes when a snapshot is installed). */
  public StateStore store() {
    return store;
  }

  /** Streams the replicated records of the current state to {@code sink}; returns its applied index. */
  public long exportRecords(RecordSink sink) throws StateException, IOException {
    return store.exportRecords(sink);
  }

  /**
   * Replaces this replica's state by a snapshot's, at {@code index}: the records {@code snapshot}
   * yields plus this node's own node-local records (its epoch secrets, all of those it holds),
   * carried over from the current store and keyring. Call only while no entry is applied (Ratis
   * pauses the state machine). A snapshot at or below the applied index is ignored (returns
   * false). On any failure the current state stays in place, untouched. Snapshot files go through
   * {@link #installSnapshotFile}, which also derives the snapshot's epoch secret through its chain.
   *
   * @throws SnapshotException when the snapshot is refused (names the file and the reason)
   */
  public boolean installSnapshot(long index, RecordSource snapshot) throws StateException, IOException {
    return install(index, snapshot, List.of(), 1);
  }

  private static void copyNamespace(StateStore from, String namespace, RecordSink sink)
      throws StateException, IOException {
    byte[] after = null;
    while (true) {
      List<StateRecord> page = from.scan(namespace, after, null, COPY_PAGE_RECORDS);
      for (StateRecord r : page) {
        sink.accept(namespace, r.key(), r.value());
      }
      if (page.size() < COPY_PAGE_RECORDS) {
        return;
      }
      byte[] last = page.get(page.size() - 1).key();
      after = Arrays.copyOf(last, last.length + 1);
    }
  }

  public MembershipView view() {
    return view;
  }

  /**
   * Why this replica stopped applying (an entry it cannot apply as its peers do, a store failure),
   * or empty while it applies. A halted replica answers no queries; restart the node (with a build
   * that applies the entry, when the reason says so) to go on from the last entry it applied.
   */
  public java.util.Optional<String> halted() {
    return java.util.Optional.ofNullable(haltedBecause);
  }

  /** Why a replica halted, and whether its disk did it (then a restart once the disk is fixed resumes). */
  public record Halt(String reason, boolean diskFailure) {}

  /** Whether this replica halted because its node's disk refused a write or a read. */
  public boolean haltedOnDiskFailure() {
    return haltedBecause != null && haltedOnDisk;
  }

  /**
   * Tells {@code listener} once, on the thread that halts this replica (the apply thread, or
   * Ratis' log worker for {@link #haltOnDiskFailure}), when it halts; it must not block.
   */
  public void addHaltListener(Consumer<Halt> listener) {
    haltListeners.add(listener);
  }

  /**
   * Halts because this node's disk failed outside apply: its Raft log could not be written, or a
   * snapshot could not be installed. The state is intact, but the node can no longer follow the
   * log, so it must apply nothing more and answer no reads until it restarts.
   */
  public void haltOnDiskFailure(String reason) {
    halt(reason, true);
  }

  /** The first halt's reason stands; listeners hear of that one only. */
  private void halt(String reason, boolean diskFailure) {
    synchronized (haltLock) {
      if (haltedBecause != null) {
        return;
      }
      haltedOnDisk = diskFailure;
      haltedBecause = reason;
    }
    Halt halt = new Halt(reason, diskFailure);
    for (var listener : haltListeners) {
      try {
        listener.accept(halt);
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(Replica.class).warn("a halt listener failed: {}", e.toString());
      }
    }
  }

  /** The highest protocol version this replica's build applies. */
  public long protocolVersionMax() {
    return protocolVersionMax;
  }

  public long appliedIndex() {
    return store.appliedIndex();
  }

  /**
   * An index no entry after which had taken effect in any read of this replica's state that
   * returned before this call ({@link StateStore#readIndexBound}): read after a query's answer, it
   * bounds what the answer may contain from above, as the answer's label does from below.
   */
  public long readIndexBound() {
    return store.readIndexBound();
  }

  public EpochKeyring keyring() {
    return keyring;
  }

  /** The client-session key memo (for metrics and tests: its hit and miss counts). */
  public SessionKeyCache sessionKeys() {
    return sessions;
  }

  public byte[] clusterId() {
    return clusterId.clone();
  }

  /** Called on the apply thread after every entry that changed the membership view. */
  public void addListener(Consumer<MembershipView> listener) {
    listeners.add(listener);
  }

  /**
   * Called on the apply thread, after each entry is committed to the store, for every client
   * event of the entry that its app ran successfully (status OK), in log order. Plaintext: the
   * listener runs inside the TEE and must neither log nor persist what it is told.
   */
  public void addAppEventListener(AppEventListener listener) {
    appListeners.add(listener);
  }

  /**
   * Applies the entry at {@code index}; entries at or below the stored applied index are skipped (restart replay).
   * A halt is final: Ratis counts a failed entry as applied and hands over the next one, which must
   * not be applied on a state that lacks the failed entry's effects. {@code entryBytes} is handed
   * over: the replica keeps views of it (what it parsed from it is not copied), so the caller must
   * not change the array afterwards.
   */
  public ApplyResult apply(long index, byte[] entryBytes) {
    return answer(index, entryBytes).result();
  }

  /**
   * {@link #apply}, with client events' answers sealed only when the answer is read ({@link
   * Answer}): the form for Ratis, whose followers answer nobody. {@code entryBytes} is handed over
   * as for {@link #apply}.
   */
  public Answer answer(long index, byte[] entryBytes) {
    if (haltedBecause != null) {
      throw new ReplicaHaltedException("replica halted earlier and applies nothing more (" + haltedBecause
          + "); entry " + index + " is not applied");
    }
    try {
      return applyUnhalted(index, entryBytes);
    } catch (ReplicaHaltedException e) {
      halt("at index " + index + ": " + e.getMessage(), e.isDiskFailure());
      throw e;
    }
  }

  private Answer applyUnhalted(long index, byte[] entryBytes) {
    if (index <= store.appliedIndex()) {
      return Answer.of(error("ALREADY_APPLIED", "entry " + index + " was applied before this restart"));
    }
    ParsedEntry parsed = ParsedEntry.of(entryBytes);
    // Before anything is read or written: an entry this build cannot apply as its peers do halts here.
    ProtocolGate.check(index, parsed.entry(), parsed.proposal(), view, protocolVersionMax);
    MembershipView before = view;
    committedEvents.clear();
    StateTransaction tx = store.begin();
    Answer result;
    MembershipView timed = before;
    MembershipView after = before;
    try {
      if (parsed.entry() == null) {
        result = Answer.of(error("MALFORMED_ENTRY", parsed.malformed()));
      } else {
        timed = before.withLeaderTime(Math.max(parsed.entry().getLeaderTimeMs(), before.lastLeaderTimeMs()));
        Applied applied = parsed.proposal() == null ? new Applied(error("MALFORMED_ENTRY", parsed.malformed()), timed)
            : applyProposal(tx, timed, index, timed.lastLeaderTimeMs(), parsed.proposal());
        result = applied.answer();
        after = applied.view();
      }
    } catch (StateException e) {
      throw new ReplicaHaltedException("state store failed at index " + index + ": " + e.getMessage(), e);
    }
    // Branches that leave the membership alone return the view they were given.
    MembershipStore.save(tx, after, after != timed);
    try {
      tx.commit(index);
    } catch (StateException e) {
      throw new ReplicaHaltedException("cannot commit index " + index + ": " + e.getMessage(), e);
    }
    publish(before, after);
    tellAppListeners();
    return result;
  }

  private void tellAppListeners() {
    if (committedEvents.isEmpty()) {
      return;
    }
    for (AppEventListener.Committed event : committedEvents) {
      for (AppEventListener listener : appListeners) {
        try {
          listener.committed(event);
        } catch (RuntimeException e) {
          // A listener is node-local (fan-out to subscribers); its failure must not stop apply.
          org.slf4j.LoggerFactory.getLogger(Replica.class).warn("app event listener failed on index {}: {}",
              event.index(), e.getClass().getName());
        }
      }
    }
    committedEvents.clear();
  }

  private void publish(MembershipView before, MembershipView after) {
    view = after;
    if (!after.members().equals(before.members()) || after.epoch() != before.epoch()) {
      listeners.forEach(l -> l.accept(after));
    }
  }

  private record Applied(Answer answer, MembershipView view) {
    Applied(ApplyResult result, MembershipView view) {
      this(Answer.of(result), view);
    }
  }

  /**
   * An entry's bytes parsed once, for the protocol gate and for apply: the entry and its proposal,
   * or null from the first that does not parse, with what apply refuses it for ({@code
   * MALFORMED_ENTRY}; the same words on every replica).
   */
  private record ParsedEntry(LogEntry entry, Proposal proposal, String malformed) {
    /**
     * Parsed without copying: the proposal and its sealed events are views of {@code bytes}, which
     * apply's callers hand over and never change (ciphertext; each level copied was about a fifth
     * of what a member allocated per put).
     */
    static ParsedEntry of(byte[] bytes) {
      LogEntry entry;
      try {
        entry = AliasedProtobuf.parse(LogEntry.parser(), bytes);
      } catch (InvalidProtocolBufferException e) {
        return new ParsedEntry(null, null, "log entry is not a LogEntry protobuf: " + e.getMessage());
      }
      try {
        return new ParsedEntry(entry, AliasedProtobuf.parse(Proposal.parser(), entry.getProposal()), null);
      } catch (InvalidProtocolBufferException e) {
        return new ParsedEntry(entry, null, "proposal is not a Proposal protobuf: " + e.getMessage());
      }
    }
  }

  private Applied applyProposal(StateTransaction tx, MembershipView v, long index, long leaderTime,
      Proposal proposal) throws StateException {
    return switch (proposal.getBodyCase()) {
      case INIT_CLUSTER -> applyInit(v, proposal.getInitCluster(), index, leaderTime);
      case ADMIT_NODE -> applyAdmit(tx, v, proposal.getAdmitNode(), index, leaderTime);
      case KEY_EPOCH -> applyKeyEpoch(tx, v, proposal.getKeyEpoch(), index);
      case CLIENT_EVENT -> new Applied(applyEvent(tx, v, proposal.getClientEvent(), index, leaderTime, 0), v);
      case CLIENT_EVENT_GROUP -> new Applied(applyEventGroup(tx, v, proposal.getClientEventGroup(), index, leaderTime),
          v);
      case BEACON -> membership(Reattestation.beacon(v, proposal.getBeacon(), leaderTime));
      case BEACON_ANSWER -> membership(Reattestation.answer(v, proposal.getBeaconAnswer(), leaderTime, verifier));
      case REMOVE_MEMBER -> applyRemove(tx, v, proposal.getRemoveMember(), index);
      case GOV_PROPOSAL -> applyGovernance(v, Governance.propose(v, proposal.getGovProposal(), index, leaderTime,
          new GovernanceStore(tx)), leaderTime);
      case GOV_BALLOT -> applyGovernance(v, Governance.vote(v, proposal.getGovBallot(), index, leaderTime,
          new GovernanceStore(tx)), leaderTime);
      case BODY_NOT_SET -> new Applied(error("MALFORMED_ENTRY", "proposal has no body"), v);
    };
  }

  private static Applied membership(Reattestation.Outcome outcome) {
    return new Applied(ApplyResult.newBuilder().setMembership(outcome.result()).build(), outcome.view());
  }

  /** A recorded proposal or ballot; a proposal that reached its threshold takes effect in this entry. */
  private Applied applyGovernance(MembershipView v, Governance.Outcome outcome, long leaderTime) {
    MembershipView next = outcome.approved().map(p -> GovernanceActions.execute(v, p, leaderTime, verifier)).orElse(v);
    return new Applied(ApplyResult.newBuilder().setMembership(outcome.result()).build(), next);
  }

  /** Removes a pending-removal member and starts the next epoch for the others, in one entry. */
  private Applied applyRemove(StateTransaction tx, MembershipView v, RemoveMember entry, long index) {
    Removals.Outcome outcome = Removals.check(v, entry);
    ApplyResult result = ApplyResult.newBuilder().setMembership(outcome.result()).build();
    if (!outcome.result().getAccepted()) {
      return new Applied(result, v);
    }
    Applied epoch = applyKeyEpoch(tx, outcome.withoutMember(), entry.getNextEpoch(), index);
    Check.invariant(epoch.answer().result().getKeyEpoch().getAccepted(), "Removals.check accepted the next epoch");
    return new Applied(result, epoch.view());
  }

  private Applied applyInit(MembershipView v, InitCluster init, long index, long leaderTime) {
    Bootstrap.Outcome outcome = Bootstrap.decide(v, init, clusterId, index, leaderTime, verifier);
    InitDecision.Builder decision = InitDecision.newBuilder().setAccepted(outcome.view() != null);
    if (outcome.view() == null) {
      return new Applied(ApplyResult.newBuilder().setInit(decision.setReason(outcome.rejection())).build(), v);
    }
    return new Applied(ApplyResult.newBuilder().setInit(decision.setReason("initialized")).build(), outcome.view());
  }

  private Applied applyAdmit(StateTransaction tx, MembershipView v, AdmitNode admit, long index, long leaderTime)
      throws StateException {
    Admission.Outcome outcome = Admission.decide(v, admit, index, leaderTime, verifier,
        nonce -> MembershipStore.nonceUsed(tx, nonce));
    if (outcome.usedNonce() != null) {
      MembershipStore.markNonceUsed(tx, outcome.usedNonce());
    }
    MembershipView next = outcome.view() == null ? v : outcome.view();
    return new Applied(ApplyResult.newBuilder().setAdmit(outcome.decision()).build(), next);
  }

  private Applied applyKeyEpoch(StateTransaction tx, MembershipView v, KeyEpoch entry, long index) {
    KeyEpochDecision decision = KeyEpochs.check(v, entry);
    ApplyResult result = ApplyResult.newBuilder().setKeyEpoch(decision).build();
    if (!decision.getAccepted()) {
      return new Applied(result, v);
    }
    EpochSecret secret = localSecret(v, entry);
    if (secret != null) {
      keyring.put(secret);
      tx.put(SECRETS_NAMESPACE, Hashes.u64(entry.getEpoch()), secret.secretBytes());
    }
    recordEpoch(tx, v, entry);
    return new Applied(result, v.withEpoch(entry.getEpoch(), entry.getGroupPublicKey().toByteArray(),
        entry.getKeyId().toByteArray(), index));
  }

  /**
   * This node's S_e: derived from the wrap addressed to it, or taken from the history it received
   * when it joined. Null when this node is not a member of the epoch. A member that cannot derive
   * a secret matching the entry's commitment halts.
   */
  private EpochSecret localSecret(MembershipView v, KeyEpoch entry) {
    long epoch = entry.getEpoch();
    HpkeWrap mine = entry.getWrapsList().stream().filter(w -> w.getNodeId().equals(nodeId)).findFirst().orElse(null);
    EpochSecret secret;
    if (mine != null) {
      EpochSecret previous = epoch == 1 ? null : keyring.get(epoch - 1).orElseThrow(() -> new ReplicaHaltedException(
          "node " + nodeId + " is a member of epoch " + epoch + " but does not hold the secret of epoch " + (epoch - 1)));
      try {
        byte[] fresh = EventSealing.unwrap(kem, KeyEpochs.wrapInfo(clusterId, epoch), mine);
        secret = KeyEpochs.derive(v, previous, epoch, fresh);
      } catch (CryptoException | IllegalArgumentException e) {
        throw new ReplicaHaltedException("cannot open this node's wrap of epoch " + epoch + ": " + e.getMessage(), e);
      }
    } else {
      secret = keyring.get(epoch).orElse(null);
      if (secret == null) {
        return null;
      }
    }
    if (!secret.matches(entry.getKeyId().toByteArray())
        || !Arrays.equals(secret.groupPublicKey(), entry.getGroupPublicKey().toByteArray())) {
      throw new ReplicaHaltedException("secret of epoch " + epoch + " does not match the entry's key id: "
          + "this node would diverge, so it stops");
    }
    return secret;
  }

  /**
   * A group of client events in one entry (a node's {@code EventGrouper} built it): each event is
   * applied in order exactly as if it had come alone ({@link #applyEvent}: its own sealing form,
   * exactly-once record, result, randomness and answer nonce, the last two from (index, position)),
   * in this entry's one transaction, so a later event sees an earlier one's writes and its
   * exactly-once record (the same event twice in one group is applied once). A bad event gets its
   * own error and changes nothing for its neighbours. Only the group's shape is refused as a whole.
   */
  private Answer applyEventGroup(StateTransaction tx, MembershipView v, EventGroup group, long index,
      long leaderTime) throws StateException {
    int count = group.getEventsCount();
    if (count == 0) {
      return Answer.of(error("EMPTY_GROUP", "event group carries no events"));
    }
    if (count > Limits.GROUP_EVENTS_MAX) {
      return Answer.of(error("GROUP_TOO_LARGE", "event group carries " + count + " events, more than "
          + Limits.GROUP_EVENTS_MAX));
    }
    int bytes = group.getSerializedSize();
    if (bytes > Limits.GROUP_BYTES_MAX) {
      return Answer.of(error("GROUP_TOO_LARGE", "event group is " + bytes + " bytes, more than "
          + Limits.GROUP_BYTES_MAX));
    }
    List<Answer> answers = new java.util.ArrayList<>(count);
    long answerBytes = 0;
    for (int position = 0; position < count; position++) {
      if (answerBytes > Limits.GROUP_ANSWER_BYTES_MAX) {
        answers.add(Answer.of(error("GROUP_ANSWERS_FULL", "not applied: the answers before it in this entry are "
            + answerBytes + " bytes, more than " + Limits.GROUP_ANSWER_BYTES_MAX + "; send it again")));
        continue;
      }
      Answer answer = applyEvent(tx, v, group.getEvents(position), index, leaderTime, position);
      // The sealed answer's size, known without sealing it.
      answerBytes += answer.serializedSize();
      answers.add(answer);
    }
    return Answer.group(answers);
  }

  /**
   * One sealed client event, alone in its entry ({@code position} 0) or at {@code position} of a
   * group. Refusals that come before the app runs (epoch, cluster, size, decryption) write nothing.
   */
  private Answer applyEvent(StateTransaction tx, MembershipView v, SealedRequest request, long index,
      long leaderTime, int position) throws StateException {
    ApplyResult refused = refusal(v, request);
    if (refused != null) {
      return Answer.of(refused);
    }
    EpochSecret secret = keyring.get(v.epoch()).orElse(null);
    if (secret == null) {
      if (v.member(nodeId).isEmpty()) {
        // Removed (or never admitted): this node follows the log without the key, by design.
        return Answer.of(error("NOT_A_MEMBER", "node " + nodeId + " is not a member of epoch " + v.epoch()
            + " and cannot open its events"));
      }
      throw new ReplicaHaltedException("node " + nodeId + " does not hold the secret of the current epoch " + v.epoch());
    }
    EventSealing.Opened opened;
    try {
      opened = request.getSessionCounter() == 0 ? EventSealing.openRequest(secret, clusterId, request)
          : sessions.openEvent(secret, clusterId, request);
    } catch (CryptoException e) {
      return Answer.of(error("UNDECRYPTABLE_EVENT", "request does not open with the epoch " + v.epoch()
          + " group key"));
    }
    EventResult eventResult = dispatch(tx, v.genesis(), opened.event(),
        new AppContext(index, leaderTime, random(secret, index, position)), memberTagKey(secret));
    return Answer.sealedWhenRead(opened.responseKeyLater(), v.epoch(), index, position, eventResult.toByteArray());
  }

  /** Why an event is refused before it is opened (epoch, cluster, size), or null. */
  private ApplyResult refusal(MembershipView v, SealedRequest request) {
    if (!v.initialized() || v.epoch() == 0) {
      return error("NOT_INITIALIZED", "cluster has no key epoch yet");
    }
    if (!Arrays.equals(request.getClusterId().toByteArray(), clusterId)) {
      return error("WRONG_CLUSTER", "request is sealed to cluster " + Hashes.shortHex(request.getClusterId().toByteArray(), 8)
          + ", this is " + Hashes.shortHex(clusterId, 8));
    }
    if (request.getEpoch() != v.epoch()) {
      return error("UNKNOWN_EPOCH", "request is sealed to epoch " + request.getEpoch() + ", the current epoch is "
          + v.epoch() + "; fetch /v1/cluster and seal again");
    }
    int sealedMax = Limits.sealedRequestBytesMax(v.genesis().eventBytesMax());
    if (request.getCiphertext().size() > sealedMax) {
      return error("EVENT_TOO_LARGE", "sealed request is " + request.getCiphertext().size() + " bytes, more than "
          + sealedMax + " (limits.event_bytes_max " + v.genesis().eventBytesMax() + " plus sealing overhead)");
    }
    return null;
  }

  /**
   * Answers a sealed read-only query from committed state, without a log entry: Ratis calls this
   * after its read index (linearizable) or on a local replica (stale). Never writes. Thread-safe.
   * The answer reads the live store while apply may commit further entries; it is labelled with
   * the applied index read before the app's reads, so every entry up to the label is in it, and
   * later ones may be too ({@link #readIndexBound}, read after the answer, bounds them). As two
   * answers can carry one label, they are sealed with AES-GCM-SIV ({@link QueryResponseSealing}),
   * under which two answers with one (key, nonce) reveal only whether they are equal, never their
   * XOR or the authentication key.
   */
  public ApplyResult query(byte[] sealedQuery) {
    if (haltedBecause != null) {
      return error("HALTED", "this replica halted and answers no queries");
    }
    MembershipView v = view;
    StateStore state = store;
    long index = state.appliedIndex();
    SealedRequest query;
    try {
      query = SealedRequest.parseFrom(sealedQuery);
    } catch (InvalidProtocolBufferException e) {
      return error("MALFORMED_QUERY", "query is not a SealedRequest protobuf: " + e.getMessage());
    }
    if (!v.initialized() || v.epoch() == 0) {
      return error("NOT_INITIALIZED", "cluster has no key epoch yet");
    }
    if (query.getEpoch() != v.epoch()) {
      return error("UNKNOWN_EPOCH", "query is sealed to epoch " + query.getEpoch() + ", the current epoch is "
          + v.epoch() + "; fetch /v1/cluster and seal again");
    }
    if (!Arrays.equals(query.getClusterId().toByteArray(), clusterId)) {
      return error("WRONG_CLUSTER", "query is sealed to another cluster");
    }
    EpochSecret secret = keyring.get(v.epoch()).orElse(null);
    if (secret == null) {
      return error("NOT_READY", "this node does not hold the secret of epoch " + v.epoch() + " yet");
    }
    EventSealing.Opened opened;
    byte[] responseKey;
    Event event;
    try {
      opened = query.getSessionCounter() == 0 ? EventSealing.openQuery(secret, clusterId, query)
          : sessions.openQuery(secret, clusterId, query);
      // Every query that opens is answered sealed: its key is needed whatever the answer. Derived
      // before the query runs, so a query opened under session keys an erasure zeroed meanwhile
      // (its key is refused) never runs.
      responseKey = opened.responseKey();
      event = Event.parseFrom(opened.event());
    } catch (CryptoException e) {
      return error("UNDECRYPTABLE_QUERY", "query does not open with the epoch " + v.epoch() + " group key");
    } catch (EpochSecretsErasedException e) {
      // Only a query thread that read the view before a rotation and opened during or after the erasure of that epoch.
      return error("EPOCH_ERASED", "query is sealed to epoch " + e.epoch() + ", whose secrets this replica erased");
    } catch (InvalidProtocolBufferException e) {
      return error("MALFORMED_QUERY", "query is not an Event protobuf: " + e.getMessage());
    }
    boolean fromMember = !event.getMemberTag().isEmpty();
    if (fromMember && !memberTagValid(memberTagKey(secret), event)) {
      EventResult refused = rejected("MEMBER_TAG_INVALID: the query's member tag does not verify under the current epoch");
      return ApplyResult.newBuilder().setSealedResponse(QueryResponseSealing.seal(responseKey, v.epoch(),
          index, refused.toByteArray())).build();
    }
    EventResult result;
    try {
      result = apps.query(state, event.getApp(), event.getRequest().toByteArray(), fromMember);
    } catch (StateException e) {
      return error("STATE_FAILED", "this replica's state failed: " + e.getMessage());
    } catch (IllegalStateException e) {
      // The store was closed under this query because a snapshot replaced it.
      return error("STATE_REPLACED", "this replica's state was replaced by a snapshot during the query; ask again");
    }
    return ApplyResult.newBuilder().setSealedResponse(
        QueryResponseSealing.seal(responseKey, v.epoch(), index, result.toByteArray())).build();
  }

  /**
   * Applies an opened event, or each event of a batch in order, within the cluster's request
   * limits (the genesis' limits: event size, batch length, pending requests per client).
   */
  private EventResult dispatch(StateTransaction tx, GenesisDocument genesis, byte[] eventBytes, AppContext context,
      KeyedHash memberTags) throws StateException {
    if (eventBytes.length > genesis.eventBytesMax()) {
      return rejected("EVENT_TOO_LARGE: event is " + eventBytes.length + " bytes, more than limits.event_bytes_max "
          + genesis.eventBytesMax());
    }
    Event event;
    try {
      event = Event.parseFrom(eventBytes);
    } catch (InvalidProtocolBufferException e) {
      return rejected("event is not an Event protobuf: " + e.getMessage());
    }
    if (event.getBatchCount() == 0) {
      return applyOne(tx, genesis, event, context, memberTags);
    }
    if (!event.getApp().isEmpty() || !event.getRequest().isEmpty() || !event.getClientId().isEmpty()) {
      return rejected("MALFORMED_BATCH: a batch event carries only its batch, not an app, request or client id");
    }
    if (event.getBatchCount() > genesis.batchEventsMax()) {
      return rejected("BATCH_TOO_LARGE: batch of " + event.getBatchCount() + " events, more than "
          + "limits.batch_events_max " + genesis.batchEventsMax());
    }
    EventResult.Builder results = EventResult.newBuilder().setStatus(EventResult.Status.OK);
    for (Event item : event.getBatchList()) {
      results.addBatchResults(item.getBatchCount() > 0 ? rejected("MALFORMED_BATCH: batches do not nest")
          : applyOne(tx, genesis, item, context, memberTags));
    }
    return results.build();
  }

  /** One event: its member tag checked (absent: an ordinary client's), then its app. */
  private EventResult applyOne(StateTransaction tx, GenesisDocument genesis, Event event, AppContext context,
      KeyedHash memberTags) throws StateException {
    boolean fromMember = !event.getMemberTag().isEmpty();
    if (fromMember && !memberTagValid(memberTags, event)) {
      return rejected("MEMBER_TAG_INVALID: the event's member tag does not verify under the current epoch");
    }
    return noted(context.index(), event, apps.apply(tx, event, context.withFromMember(fromMember),
        genesis.pendingPerClientMax()));
  }

  private static boolean memberTagValid(KeyedHash memberTags, Event event) {
    return dev.veilraft.crypto.MemberEventTag.verify(memberTags, event.getMemberTag().toByteArray(), event.getApp(),
        event.getRequest().toByteArray(), event.getClientId().toByteArray(), event.getSequence());
  }

  private KeyedHash memberTagKey(EpochSecret secret) {
    return memberTagKeys.computeIfAbsent(secret.epoch(), e -> dev.veilraft.crypto.MemberEventTag.key(secret));
  }

  /** Remembers a successful event for the app listeners (told after the entry commits). */
  private EventResult noted(long index, Event event, EventResult result) {
    if (!appListeners.isEmpty() && result.getStatus() == EventResult.Status.OK) {
      committedEvents.add(new AppEventListener.Committed(index, event.getApp(), event.getRequest().toByteArray(),
          result.getResponse().toByteArray()));
    }
    return result;
  }

  /**
   * An event's random source: HMAC under a key derived from S_e, over the entry's index, and for
   * an event at position p > 0 of a grouped entry also over u32 p (so position 0, the only event of
   * an ungrouped entry, keeps the seed entries always had). Inputs of 8 and of 12 bytes never
   * coincide, so no two events anywhere in the log share a stream. Every member of the epoch
   * computes the same stream; the host, which never holds S_e, cannot predict it.
   */
  private DeterministicRandom random(EpochSecret secret, long index, int position) {
    KeyedHash key = randomKeys.computeIfAbsent(secret.epoch(),
        e -> KeyedHash.fromKey(secret.deriveKey(APP_RANDOM_LABEL)));
    // Seeded on the first draw: most apps (kv among them) draw nothing.
    return DeterministicRandom.fromSeedWhenDrawn(() -> key.hash(position == 0 ? Hashes.u64(index)
        : Hashes.concat(Hashes.u64(index), java.nio.ByteBuffer.allocate(Integer.BYTES).putInt(position).array())));
  }

  private static EventResult rejected(String message) {
    return EventResult.newBuilder().setStatus(EventResult.Status.REJECTED).setError(message).build();
  }

  static ApplyResult error(String code, String message) {
    return ApplyResult.newBuilder().setError(EntryError.newBuilder().setCode(code).setMessage(message)).build();
  }

  // Epoch chain, snapshot install through it, and erasure of old epoch secrets. Appended here so
  // that other apply paths (RemoveMember) call the same recordEpoch.

  /**
   * Records the epoch chain link of an accepted KeyEpoch in the entry's transaction. Every path
   * that accepts a KeyEpoch calls it once; {@code v} is the view whose members and policy went
   * into S_e (the view {@link KeyEpochs#derive} used). Deterministic: same records on every replica.
   */
  private void recordEpoch(StateTransaction tx, MembershipView v, KeyEpoch entry) {
    dev.veilraft.membership.EpochChain.record(tx, v, entry);
  }

  /**
   * Installs the snapshot file {@code file} at {@code index}. The secret of its epoch is this
   * node's own, or derived through the header's epoch chain from the newest secret this node
   * holds ({@link dev.veilraft.membership.EpochChain#walk}: a forged, reordered or incomplete
   * chain is refused before anything is decrypted). The new store carries this node's secrets of
   * epochs from {@code retainFromEpoch} on, those derived on the way included; older ones are
   * erased from the keyring and never reach the new store. Returns null when the snapshot is not
   * ahead of the applied index (nothing changes).
   *
   * @param retainFromEpoch at most the snapshot's epoch (checked before anything is imported)
   * @throws SnapshotException when the snapshot is refused (names the file and the reason)
   */
  public SnapshotFile.Stats installSnapshotFile(long index, java.nio.file.Path file, long retainFromEpoch)
      throws StateException, IOException {
    List<EpochSecret> derived = new java.util.ArrayList<>();
    SnapshotFile.Stats[] stats = new SnapshotFile.Stats[1];
    RecordSource source = sink -> stats[0] = SnapshotFile.read(file, clusterId, header -> {
      dev.veilraft.crypto.Check.argument(retainFromEpoch >= 1 && retainFromEpoch <= header.epoch(),
          "secrets are kept from epoch " + retainFromEpoch + ", which must lie in 1.." + header.epoch());
      dev.veilraft.membership.EpochChain.Walk walk = dev.veilraft.membership.EpochChain.walk(header.chain(),
          header.epoch(), keyring, clusterId, nodeId, kem);
      derived.addAll(walk.derived());
      return java.util.Optional.of(walk.target());
    }, sink);
    return install(index, source, derived, retainFromEpoch) ? stats[0] : null;
  }

  /**
   * The install itself: the snapshot's records, the other node-local namespaces copied from the
   * current store, and the secrets of epochs from {@code retainFromEpoch} on (the keyring's and
   * {@code derived}, which {@code snapshot} fills while it runs).
   */
  private boolean install(long index, RecordSource snapshot, List<EpochSecret> derived, long retainFromEpoch)
      throws StateException, IOException {
    if (replacement == null) {
      throw new IllegalStateException("this replica was built without a store replacement and installs no snapshots");
    }
    StateStore current = store;
    if (index <= current.appliedIndex()) {
      return false;
    }
    RecordSource withLocal = sink -> {
      snapshot.forEach(sink);
      for (String namespace : NODE_LOCAL_NAMESPACES) {
        if (!namespace.equals(SECRETS_NAMESPACE)) {
          copyNamespace(current, namespace, sink);
        }
      }
      for (EpochSecret secret : secretsFrom(derived, retainFromEpoch)) {
        sink.accept(SECRETS_NAMESPACE, Hashes.u64(secret.epoch()), secret.secretBytes());
      }
    };
    StateStore next = replacement.replace(current, index, withLocal);
    MembershipView before = view;
    MembershipView after = MembershipStore.load(next);
    store = next;
    derived.forEach(keyring::put);
    forgetSecretsBefore(retainFromEpoch);
    loadSecrets(next, after);
    publish(before, after);
    for (AppEventListener listener : appListeners) {
      try {
        listener.installed(index);
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(Replica.class).warn("app event listener failed on the snapshot at index {}: {}",
            index, e.getClass().getName());
      }
    }
    haltIfVersionAboveBuild("the installed snapshot");
    return true;
  }

  /** The keyring's secrets and {@code derived}, of epochs from {@code epoch} on, by epoch. */
  private java.util.Collection<EpochSecret> secretsFrom(List<EpochSecret> derived, long epoch) {
    java.util.TreeMap<Long, EpochSecret> kept = new java.util.TreeMap<>();
    for (EpochSecret secret : keyring.all()) {
      if (secret.epoch() >= epoch) {
        kept.put(secret.epoch(), secret);
      }
    }
    for (EpochSecret secret : derived) {
      if (secret.epoch() >= epoch) {
        kept.putIfAbsent(secret.epoch(), secret);
      }
    }
    return kept.values();
  }

  /**
   * Erases this node's secrets of epochs before {@code epoch}, once a snapshot covers every entry
   * sealed under them: from the keyring (and, through its retention listeners, the joiner's
   * history file), the per-epoch keys derived from them, and the store's node-local records (a
   * RocksDB delete: see DESIGN.md for what that does and does not erase). Call between entries
   * (Ratis takes snapshots on the apply thread). The current epoch's secret and every newer one
   * are kept: {@code epoch} may not exceed the current epoch.
   *
   * @return the epochs whose records were deleted from the store, oldest first
   */
  public List<Long> eraseSecretsBefore(long epoch) throws StateException {
    long current = view.epoch();
    dev.veilraft.crypto.Check.argument(epoch >= 1 && epoch <= current, "secrets are erased before epoch " + epoch
        + ", which must lie in 1.." + current + " (the current epoch's secret and newer ones are kept)");
    forgetSecretsBefore(epoch);
    StateStore from = store;
    StateTransaction tx = from.begin();
    List<Long> erased = new java.util.ArrayList<>();
    byte[] after = null;
    while (true) {
      List<StateRecord> page = from.scan(SECRETS_NAMESPACE, after, Hashes.u64(epoch), COPY_PAGE_RECORDS);
      for (StateRecord r : page) {
        tx.delete(SECRETS_NAMESPACE, r.key());
        erased.add(java.nio.ByteBuffer.wrap(r.key()).getLong());
      }
      if (page.size() < COPY_PAGE_RECORDS) {
        break;
      }
      byte[] last = page.get(page.size() - 1).key();
      after = Arrays.copyOf(last, last.length + 1);
    }
    if (!erased.isEmpty()) {
      tx.commitNodeLocal();
    }
    return erased;
  }

  /** Drops the secrets before {@code epoch} from memory: the keyring (and its listeners' copies) and derived keys. */
  private void forgetSecretsBefore(long epoch) {
    keyring.retainFrom(epoch);
    randomKeys.keySet().removeIf(e -> e < epoch);
    memberTagKeys.keySet().removeIf(e -> e < epoch);
    sessions.forgetEpochsBefore(epoch);
  }
}
