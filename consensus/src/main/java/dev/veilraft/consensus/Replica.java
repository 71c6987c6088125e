package dev.veilraft.consensus;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EntryError;
import dev.veilraft.consensus.proto.InitDecision;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.DeterministicRandom;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.KeyedHash;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.membership.Admission;
import dev.veilraft.membership.Bootstrap;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipStore;
import dev.veilraft.membership.MembershipView;
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
  private final List<Consumer<MembershipView>> listeners = new CopyOnWriteArrayList<>();
  private volatile MembershipView view;
  /** Why this replica halted; null while it is healthy. Once set, it applies nothing more. */
  private volatile String haltedBecause;

  public Replica(StateStore store, byte[] clusterId, String nodeId, KemKeyPair kem, EvidenceVerifier verifier,
      EpochKeyring keyring, AppHost apps) throws StateException {
    this(store, null, clusterId, nodeId, kem, verifier, keyring, apps);
  }

  /** A replica that can replace {@code store} by a snapshot's through {@code replacement}. */
  public Replica(StateStore store, StoreReplacement replacement, byte[] clusterId, String nodeId, KemKeyPair kem,
      EvidenceVerifier verifier, EpochKeyring keyring, AppHost apps) throws StateException {
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
  }

  private void loadSecrets(StateStore from, MembershipView v) throws StateException {
    for (long epoch = 1; epoch <= v.epoch(); epoch++) {
      long e = epoch;
      from.get(SECRETS_NAMESPACE, Hashes.u64(e)).ifPresent(s -> keyring.put(EpochSecret.restore(e, s)));
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
   * yields plus this node's own node-local records (its epoch secrets), carried over from the
   * current store. Call only while no entry is applied (Ratis pauses the state machine). A
   * snapshot at or below the applied index is ignored (returns false). On any failure the
   * current state stays in place, untouched.
   *
   * @throws SnapshotException when the snapshot is refused (names the file and the reason)
   */
  public boolean installSnapshot(long index, RecordSource snapshot) throws StateException, IOException {
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
        copyNamespace(current, namespace, sink);
      }
    };
    StateStore next = replacement.replace(current, index, withLocal);
    MembershipView before = view;
    MembershipView after = MembershipStore.load(next);
    store = next;
    loadSecrets(next, after);
    publish(before, after);
    return true;
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

  public long appliedIndex() {
    return store.appliedIndex();
  }

  public EpochKeyring keyring() {
    return keyring;
  }

  public byte[] clusterId() {
    return clusterId.clone();
  }

  /** Called on the apply thread after every entry that changed the membership view. */
  public void addListener(Consumer<MembershipView> listener) {
    listeners.add(listener);
  }

  /**
   * Applies the entry at {@code index}; entries at or below the stored applied index are skipped (restart replay).
   * A halt is final: Ratis counts a failed entry as applied and hands over the next one, which must
   * not be applied on a state that lacks the failed entry's effects.
   */
  public ApplyResult apply(long index, byte[] entryBytes) {
    if (haltedBecause != null) {
      throw new ReplicaHaltedException("replica halted earlier and applies nothing more (" + haltedBecause
          + "); entry " + index + " is not applied");
    }
    try {
      return applyUnhalted(index, entryBytes);
    } catch (ReplicaHaltedException e) {
      haltedBecause = "at index " + index + ": " + e.getMessage();
      throw e;
    }
  }

  private ApplyResult applyUnhalted(long index, byte[] entryBytes) {
    if (index <= store.appliedIndex()) {
      return error("ALREADY_APPLIED", "entry " + index + " was applied before this restart");
    }
    MembershipView before = view;
    StateTransaction tx = store.begin();
    ApplyResult result;
    MembershipView timed = before;
    MembershipView after = before;
    try {
      LogEntry entry = LogEntry.parseFrom(entryBytes);
      timed = before.withLeaderTime(Math.max(entry.getLeaderTimeMs(), before.lastLeaderTimeMs()));
      Applied applied = applyProposal(tx, timed, index, timed.lastLeaderTimeMs(), entry.getProposal());
      result = applied.result();
      after = applied.view();
    } catch (InvalidProtocolBufferException e) {
      result = error("MALFORMED_ENTRY", "log entry is not a LogEntry protobuf: " + e.getMessage());
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
    return result;
  }

  private void publish(MembershipView before, MembershipView after) {
    view = after;
    if (!after.members().equals(before.members()) || after.epoch() != before.epoch()) {
      listeners.forEach(l -> l.accept(after));
    }
  }

  private record Applied(ApplyResult result, MembershipView view) {}

  private Applied applyProposal(StateTransaction tx, MembershipView v, long index, long leaderTime,
      ByteString proposalBytes) throws StateException {
    Proposal proposal;
    try {
      proposal = Proposal.parseFrom(proposalBytes);
    } catch (InvalidProtocolBufferException e) {
      return new Applied(error("MALFORMED_ENTRY", "proposal is not a Proposal protobuf: " + e.getMessage()), v);
    }
    return switch (proposal.getBodyCase()) {
      case INIT_CLUSTER -> applyInit(v, proposal.getInitCluster(), index, leaderTime);
      case ADMIT_NODE -> applyAdmit(tx, v, proposal.getAdmitNode(), index, leaderTime);
      case KEY_EPOCH -> applyKeyEpoch(tx, v, proposal.getKeyEpoch(), index);
      case CLIENT_EVENT -> new Applied(applyEvent(tx, v, proposal.getClientEvent(), index, leaderTime), v);
      case BEACON, BEACON_ANSWER, REMOVE_MEMBER, GOV_PROPOSAL, GOV_BALLOT ->
          new Applied(error("UNSUPPORTED_ENTRY", "entry kind " + proposal.getBodyCase() + " is not applied yet"), v);
      case BODY_NOT_SET -> new Applied(error("MALFORMED_ENTRY", "proposal has no body"), v);
    };
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
    MembershipView next = outcome.member() == null ? v : v.withMember(outcome.member());
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

  private ApplyResult applyEvent(StateTransaction tx, MembershipView v, SealedRequest request, long index,
      long leaderTime) throws StateException {
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
    if (request.getCiphertext().size() > Limits.SEALED_REQUEST_BYTES_MAX) {
      return error("EVENT_TOO_LARGE", "sealed request is " + request.getCiphertext().size() + " bytes, more than "
          + Limits.SEALED_REQUEST_BYTES_MAX);
    }
    EpochSecret secret = keyring.get(v.epoch()).orElseThrow(() -> new ReplicaHaltedException(
        "node " + nodeId + " does not hold the secret of the current epoch " + v.epoch()));
    EventSealing.Opened opened;
    try {
      opened = EventSealing.openRequest(secret, clusterId, request);
    } catch (CryptoException e) {
      return error("UNDECRYPTABLE_EVENT", "request does not open with the epoch " + v.epoch() + " group key");
    }
    EventResult eventResult = dispatch(tx, opened.event(), new AppContext(index, leaderTime, random(secret, index)));
    return ApplyResult.newBuilder().setSealedResponse(
        EventSealing.sealResponse(opened.responseKey(), v.epoch(), index, eventResult.toByteArray())).build();
  }

  /**
   * Answers a sealed read-only query from committed state, without a log entry: Ratis calls this
   * after its read index (linearizable) or on a local replica (stale). Never writes. Thread-safe.
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
    Event event;
    try {
      opened = EventSealing.openQuery(secret, clusterId, query);
      event = Event.parseFrom(opened.event());
    } catch (CryptoException e) {
      return error("UNDECRYPTABLE_QUERY", "query does not open with the epoch " + v.epoch() + " group key");
    } catch (InvalidProtocolBufferException e) {
      return error("MALFORMED_QUERY", "query is not an Event protobuf: " + e.getMessage());
    }
    EventResult result;
    try {
      result = apps.query(state, event.getApp(), event.getRequest().toByteArray());
    } catch (StateException e) {
      return error("STATE_FAILED", "this replica's state failed: " + e.getMessage());
    } catch (IllegalStateException e) {
      // The store was closed under this query because a snapshot replaced it.
      return error("STATE_REPLACED", "this replica's state was replaced by a snapshot during the query; ask again");
    }
    return ApplyResult.newBuilder().setSealedResponse(
        EventSealing.sealResponse(opened.responseKey(), v.epoch(), index, result.toByteArray())).build();
  }

  private EventResult dispatch(StateTransaction tx, byte[] eventBytes, AppContext context) throws StateException {
    Event event;
    try {
      event = Event.parseFrom(eventBytes);
    } catch (InvalidProtocolBufferException e) {
      return rejected("event is not an Event protobuf: " + e.getMessage());
    }
    if (event.getRequest().size() > Limits.EVENT_BYTES_MAX) {
      return rejected("event request is " + event.getRequest().size() + " bytes, more than " + Limits.EVENT_BYTES_MAX);
    }
    return apps.apply(tx, event, context);
  }

  /**
   * The entry's random source: HMAC under a key derived from S_e, over the index. Every member
   * of the epoch computes the same stream; the host, which never holds S_e, cannot predict it.
   */
  private DeterministicRandom random(EpochSecret secret, long index) {
    KeyedHash key = randomKeys.computeIfAbsent(secret.epoch(),
        e -> KeyedHash.fromKey(secret.deriveKey(APP_RANDOM_LABEL)));
    return DeterministicRandom.fromSeed(key.hash(Hashes.u64(index)));
  }

  private static EventResult rejected(String message) {
    return EventResult.newBuilder().setStatus(EventResult.Status.REJECTED).setError(message).build();
  }

  static ApplyResult error(String code, String message) {
    return ApplyResult.newBuilder().setError(EntryError.newBuilder().setCode(code).setMessage(message)).build();
  }
}
