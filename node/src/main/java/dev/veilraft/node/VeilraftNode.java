package dev.veilraft.node;

import dev.veilraft.consensus.Replica;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.consensus.ratis.RaftConsensus;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.seal.NodeKeys;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.GenesisException;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.KeyEpochDecision;
import dev.veilraft.node.api.ApiServer;
import dev.veilraft.node.join.JoinClient;
import dev.veilraft.node.join.JoinService;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateDirectory;
import dev.veilraft.state.StateException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.veilraft.state.app.AppHost;
import java.util.List;

/**
 * One veilraft node: its sealed keys, its TEE attester, its encrypted state, its Raft server and
 * its HTTPS API. Starts as the founder of a new cluster, joins an existing one by mutual
 * attestation, or restarts from its own disk.
 */
public final class VeilraftNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VeilraftNode.class);
  /** The apps this node runs: part of its code, so the same on every member (the measurement says so). */
  static final AppHost APPS = new AppHost(dev.veilraft.node.apps.AppFrontEnds.apps());
  public static final Duration PROPOSAL_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration LEADER_TIMEOUT = Duration.ofSeconds(30);
  public static final int ROTATION_ATTEMPTS_MAX = 10;
  /** The status a node process ends with after a disk failure ({@link OnDiskFailure#EXIT_PROCESS}): EX_IOERR. */
  public static final int DISK_FAILURE_EXIT_STATUS = 74;
  /** The code of a {@link NodeException} whose cause is the disk's (full, failing), not the data's. */
  public static final String DISK_FAILURE = "DISK_FAILURE";
  /** How long the shutdown after a disk failure may take before the process is halted without it. */
  static final Duration DISK_FAILURE_EXIT_BOUND = Duration.ofSeconds(30);

  /**
   * What a node does when its replica halts on a disk failure: its state store or Raft log could
   * not be written (a full or failing disk). Only a restart brings such a node back: RocksDB and
   * Ratis both refuse every later write once one failed.
   */
  public enum OnDiskFailure {
    /**
     * End the process with {@link #DISK_FAILURE_EXIT_STATUS}, for its supervisor (systemd, a
     * container's restart policy) to restart it; it then resumes from its last committed state.
     * The node process ({@code veilraft node start|join}) runs this way.
     */
    EXIT_PROCESS,
    /** Stay up halted, /readyz saying HALTED: for nodes sharing a JVM (in-process clusters, tests). */
    STAY_HALTED
  }

  private final OnDiskFailure onDiskFailure;

  private final NodeConfig config;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private NodePlatform platform;
  private NodeKeys keys;
  private GenesisDocument genesis;
  private final EvidenceVerifier verifier = new AttestationVerifier();
  private EpochHistoryFile historyFile;
  private Replica replica;
  private ApiServer api;
  private dev.veilraft.node.apps.AppFrontEnds frontEnds;
  /** The key of the node's CA-issued web certificate, when configured (tls.certificateChain). */
  private dev.veilraft.crypto.seal.WebTlsKey webTls;
  private final Object rotationLock = new Object();
  /** Held from construction to {@link #close}: no second node on this data directory. */
  private final DataDirLock dataDirLock;
  private volatile RaftConsensus consensus;
  private volatile MembershipDuties duties;
  private NodeMetrics metrics;
  /** Fails callers' proposals and queries still pending after {@link #PROPOSAL_TIMEOUT}; no thread until the first. */
  private final CallDeadlines callDeadlines = new CallDeadlines(PROPOSAL_TIMEOUT, "veilraft-call-deadlines");

  private VeilraftNode(NodeConfig config, Clock clock, Attester attesterOverride, OnDiskFailure onDiskFailure)
      throws NodeException {
    this.config = config;
    this.onDiskFailure = onDiskFailure;
    // Decides (and logs) at start, not on the first request, whether AES-GCM-SIV runs natively here.
    dev.veilraft.crypto.seal.SessionSealing.gcmSivImplementation();
    // Simulations only: an INSECURE clock offset read from a file, when the system property names one.
    clock = InsecureFileOffsetClock.wrapIfRequested(clock, config.platform());
    this.clock = clock;
    // Before anything touches the data directory: one node per directory, and its ports free.
    this.dataDirLock = DataDirLock.acquire(config.dataDir());
    boolean built = false;
    try {
      checkPortsFree(config);
      build(attesterOverride);
      built = true;
    } finally {
      if (!built) {
        dataDirLock.close();
      }
    }
  }

  private void build(Attester attesterOverride) throws NodeException {
    try {
      this.genesis = GenesisDocument.read(config.genesis());
      genesis.requireFullySigned();
      this.platform = NodePlatform.open(config, attesterOverride);
      this.keys = NodeKeys.loadOrCreate(config.dataDir(), platform.sealer(), clock.instant());
      StateDirectory stateDir = new StateDirectory(config.dataDir().resolve("state"), keys.storageSecret());
      RocksDbStateStore store = stateDir.open();
      EpochKeyring keyring = new EpochKeyring();
      this.historyFile = new EpochHistoryFile(config.dataDir(), platform.sealer(), keys.nodeId());
      historyFile.load().ifPresent(h -> EpochHistoryFile.toSecrets(h).forEach(keyring::put));
      keyring.addRetentionListener(historyFile.retentionListener());
      this.replica = new Replica(store, stateDir, genesis.clusterId(), keys.nodeId(), keys.kem(), verifier, keyring,
          APPS);
      replica.addHaltListener(this::halted);
      NodeConfig.Endpoint plain = config.insecurePlainHttp();
      this.webTls = config.webTlsChain() == null ? null
          : dev.veilraft.crypto.seal.WebTlsKey.load(config.dataDir(), platform.sealer());
      this.api = new ApiServer(config.api().host(), config.api().port(), keys.identity(),
          webTls == null ? null : webTls.entry(dev.veilraft.crypto.seal.WebTlsKey.readChain(config.webTlsChain())),
          plain == null ? null : plain.host(), plain == null ? 0 : plain.port());
    } catch (GenesisException e) {
      throw new NodeException("BAD_GENESIS", e.getMessage(), e);
    } catch (StateException e) {
      // A disk that refuses (full, failing) is not damage: the same store opens once the disk is fixed.
      throw new NodeException(e.isDiskFailure() ? DISK_FAILURE : "BAD_STATE", e.getMessage(), e);
    } catch (CryptoException | IOException e) {
      throw new NodeException("START_FAILED", e.getMessage(), e);
    }
    this.metrics = new NodeMetrics(this);
    api.observeRequests(metrics::request);
    new JoinService(this).register(api);
    new ClusterApi(this).register(api);
    new dev.veilraft.node.api.GovernanceApi(this).register(api);
    this.frontEnds = dev.veilraft.node.apps.AppFrontEnds.register(this, api);
    try {
      api.start();
    } catch (IOException e) {
      close();
      throw new NodeException("API_START_FAILED", "key 'api.port': " + e.getMessage(), e);
    }
    LOG.info("node {} of cluster {} ({}) on platform {}", keys.nodeId(), genesis.genesis().getClusterName(),
        Hashes.shortHex(genesis.clusterId(), 8), platform.describe());
  }

  /** The replica halted (on the apply thread or Ratis' log worker): on a disk failure, maybe end the process. */
  private void halted(Replica.Halt halt) {
    if (!halt.diskFailure()) {
      return; // An entry this build cannot apply as its peers do: consensus logged it; /readyz says HALTED.
    }
    if (onDiskFailure == OnDiskFailure.STAY_HALTED) {
      LOG.error("disk failure: {}; this node stopped; restart it once the disk is fixed", halt.reason());
      return;
    }
    LOG.error("disk failure: {}; ending this node's process with status {} so that its supervisor restarts it "
        + "from its disk (free or fix the disk first: on a full disk the restart fails the same way)", halt.reason(),
        DISK_FAILURE_EXIT_STATUS);
    // Not on this thread: the shutdown hook closes the Raft server, which waits for this very thread. The
    // shutdown closes Ratis and RocksDB, whose waits have no useful bound: past one, halt without it.
    Thread bound = new Thread(() -> {
      try {
        Thread.sleep(DISK_FAILURE_EXIT_BOUND.toMillis());
        Runtime.getRuntime().halt(DISK_FAILURE_EXIT_STATUS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "veilraft-disk-failure-exit-bound");
    bound.setDaemon(true);
    bound.start();
    new Thread(() -> System.exit(DISK_FAILURE_EXIT_STATUS), "veilraft-disk-failure-exit").start();
  }

  /**
   * Refuses to start when an API port is taken, naming its key, before the node opens its state:
   * a clear message instead of a half-started node. The Raft port is checked when the Raft server
   * starts (RAFT_START_FAILED, naming 'raft.port'): a joiner starts it only once admitted, and a
   * joiner admitted but unable to start Raft resumes from there when run again.
   */
  static void checkPortsFree(NodeConfig config) throws NodeException {
    checkPortFree("api", config.api());
    if (config.insecurePlainHttp() != null) {
      checkPortFree("insecurePlainHttp", config.insecurePlainHttp());
    }
  }

  private static void checkPortFree(String key, NodeConfig.Endpoint endpoint) throws NodeException {
    if (endpoint.port() == 0) {
      return;
    }
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new java.net.InetSocketAddress(endpoint.host(), endpoint.port()));
    } catch (java.net.BindException e) {
      throw new NodeException("PORT_IN_USE", "key '" + key + ".port': cannot listen on " + endpoint.address() + ": "
          + e.getMessage() + " (another process holds the port, or '" + key + ".host' is not an address of this "
          + "machine)", e);
    } catch (IOException | IllegalArgumentException | SecurityException e) {
      throw new NodeException("PORT_IN_USE", "key '" + key + ".port': cannot listen on " + endpoint.address() + ": "
          + e.getMessage(), e);
    }
  }

  /** Starts a new cluster as its founder, or restarts a node from its own disk. */
  public static VeilraftNode start(NodeConfig config, Clock clock) throws NodeException, InterruptedException {
    return start(config, clock, null);
  }

  public static VeilraftNode start(NodeConfig config, Clock clock, Attester attesterOverride)
      throws NodeException, InterruptedException {
    return start(config, clock, attesterOverride, OnDiskFailure.STAY_HALTED);
  }

  /** As {@link #start(NodeConfig, Clock, Attester)}, doing {@code onDiskFailure} when its disk fails. */
  public static VeilraftNode start(NodeConfig config, Clock clock, Attester attesterOverride,
      OnDiskFailure onDiskFailure) throws NodeException, InterruptedException {
    VeilraftNode node = new VeilraftNode(config, clock, attesterOverride, onDiskFailure);
    try {
      // Recovery hook: a member whose damaged state was quarantined (Recovery) restarts with an empty store.
      boolean restart = node.replica.appliedIndex() > 0 || Recovery.isRecoveredMember(config.dataDir());
      node.startConsensus(Set.of(), !restart);
      if (!restart) {
        node.bootstrap();
      }
      return node;
    } catch (NodeException | InterruptedException | RuntimeException e) {
      node.close();
      throw e;
    }
  }

  /** Joins the cluster through the member at {@code peer} (https://host:port), or restarts if already a member. */
  public static VeilraftNode join(NodeConfig config, URI peer, Clock clock, Attester attesterOverride)
      throws NodeException, InterruptedException {
    return join(config, peer, clock, attesterOverride, JoinClient.Listener.NONE, JoinClient.PEER_ATTEMPTS_DEFAULT,
        OnDiskFailure.STAY_HALTED);
  }

  /**
   * As {@link #join(NodeConfig, URI, Clock, Attester)}, reporting its steps to {@code listener} (the
   * CLI's progress) and doing {@code onDiskFailure} when its disk fails.
   */
  public static VeilraftNode join(NodeConfig config, URI peer, Clock clock, Attester attesterOverride,
      JoinClient.Listener listener, int peerAttemptsMax, OnDiskFailure onDiskFailure)
      throws NodeException, InterruptedException {
    VeilraftNode node = new VeilraftNode(config, clock, attesterOverride, onDiskFailure);
    try {
      var admitted = node.historyFile.load();
      // Recovery hook: a member whose damaged state was quarantined (Recovery) restarts with an empty store.
      if (node.replica.appliedIndex() > 0 || Recovery.isRecoveredMember(config.dataDir())) {
        node.startConsensus(Set.of(), false);
      } else if (admitted.isPresent()) {
        // Admitted before a crash, but nothing applied yet: resume at "start Raft, ready".
        try (JoinClient joining = new JoinClient(node, peer, listener, peerAttemptsMax)) {
          joining.activate(Set.copyOf(admitted.get().getMemberIdsList()));
        }
      } else {
        try (JoinClient joining = new JoinClient(node, peer, listener, peerAttemptsMax)) {
          joining.join();
        }
      }
      return node;
    } catch (CryptoException | IOException e) {
      node.close();
      throw new NodeException("START_FAILED", e.getMessage(), e);
    } catch (NodeException | InterruptedException | RuntimeException e) {
      node.close();
      throw e;
    }
  }

  /** Starts the Raft server; {@code bootstrapTrust} names members trusted before their admission is applied here. */
  public void startConsensus(Set<String> bootstrapTrust, boolean founder) throws NodeException {
    startConsensus(bootstrapTrust, founder ? RaftConsensus.StartRole.FOUNDER : RaftConsensus.StartRole.VOTER);
  }

  /** Starts the Raft server in {@code role} (a joiner starts as the role its admission gave it). */
  public void startConsensus(Set<String> bootstrapTrust, RaftConsensus.StartRole role) throws NodeException {
    try {
      consensus = RaftConsensus.start(new RaftConsensus.Settings(config.dataDir().resolve("raft"),
          config.raft().host(), config.raft().port(), Duration.ofMillis(config.electionTimeoutMin()),
          Duration.ofMillis(config.electionTimeoutMax()), config.snapshotThreshold()), keys.identity(), replica, bootstrapTrust, role, clock);
      metrics.observe(consensus);
      duties = new MembershipDuties(this, MembershipDuties.tickFor(genesis.reattestIntervalMs()));
    } catch (dev.veilraft.consensus.ratis.RaftLogGapException e) {
      // Not a port problem: the Raft storage itself cannot be resumed (the message names the remedies).
      throw new NodeException("LOG_GAP", e.getMessage(), e);
    } catch (dev.veilraft.consensus.ratis.RaftStorageLostException e) {
      throw new NodeException("RAFT_STORAGE_LOST", e.getMessage(), e);
    } catch (IOException e) {
      throw new NodeException("RAFT_START_FAILED", "key 'raft.port': cannot start the raft server on "
          + config.raft().address() + ": " + e.getMessage(), e);
    }
  }

  /** Founder: records its own evidence with the genesis, then creates epoch 1. */
  private void bootstrap() throws NodeException, InterruptedException {
    if (!Await.until(() -> consensus.isLeader(), LEADER_TIMEOUT)) {
      throw new NodeException("NO_LEADER", "founder did not become leader within " + LEADER_TIMEOUT);
    }
    Evidence evidence = attest(genesis.clusterId());
    var founder = dev.veilraft.membership.proto.MemberRecord.newBuilder()
        .setIdentityCert(com.google.protobuf.ByteString.copyFrom(keys.identity().certificateDer()))
        .setKemPublicKey(com.google.protobuf.ByteString.copyFrom(keys.kem().publicKey()))
        .setEvidence(evidence)
        .setRaftAddress(config.raft().address())
        .setApiAddress(config.api().address())
        .setEndorsement(endorsement())
        .setProtocolVersionMax((int) replica.protocolVersionMax())
        .build();
    ApplyResult result = submit(Proposal.newBuilder().setInitCluster(
        dev.veilraft.membership.proto.InitCluster.newBuilder()
            .setGenesis(com.google.protobuf.ByteString.copyFrom(genesis.genesisBytes()))
            .addAllGenesisSignatures(genesis.signatures())
            .setFounder(founder)).build());
    if (!result.getInit().getAccepted()) {
      throw new NodeException("BOOTSTRAP_REFUSED", "cluster initialization refused: " + result.getInit().getReason());
    }
    rotateKey();
    Audit.log(Audit.Event.CLUSTER_INITIALIZED, "cluster", genesis.genesis().getClusterName(), "node", keys.nodeId(),
        "operator", replica.view().member(keys.nodeId()).map(m -> m.getOperator()).orElse(""), "epoch",
        replica.view().epoch());
  }

  /**
   * Creates (or loads) this node's sealed keys without starting it, and writes its identity
   * certificate to {@code <dataDir>/identity.pem} for its operator to endorse. Returns the keys.
   */
  public static NodeKeys init(NodeConfig config, Clock clock) throws NodeException {
    try (DataDirLock lock = DataDirLock.acquire(config.dataDir())) {
      NodePlatform platform = NodePlatform.open(config, null);
      NodeKeys keys = NodeKeys.loadOrCreate(config.dataDir(), platform.sealer(), clock.instant());
      java.nio.file.Files.writeString(config.dataDir().resolve(IDENTITY_FILE),
          "-----BEGIN CERTIFICATE-----\n"
              + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(keys.identity().certificateDer())
              + "\n-----END CERTIFICATE-----\n");
      return keys;
    } catch (CryptoException | IOException e) {
      throw new NodeException("INIT_FAILED", e.getMessage(), e);
    }
  }

  /**
   * Creates (or reuses) the node's web TLS key inside the node, sealed to its TEE, and returns a
   * certificate signing request for {@code dnsNames} (PEM) and the key's SPKI. The private key
   * never leaves the node; the CA's certificate goes into the configuration as tls.certificateChain.
   * With {@code selfSignedValidity}, also a self-signed certificate for the key (test deployments).
   */
  public static WebTlsRequest webTlsCsr(NodeConfig config, List<String> dnsNames, Duration selfSignedValidity)
      throws NodeException {
    try (DataDirLock lock = DataDirLock.acquire(config.dataDir())) {
      NodePlatform platform = NodePlatform.open(config, null);
      var key = dev.veilraft.crypto.seal.WebTlsKey.loadOrCreate(config.dataDir(), platform.sealer());
      return new WebTlsRequest(key.csrPem(dnsNames), key.spki(), selfSignedValidity == null ? null
          : key.selfSignedPem(dnsNames, java.time.Instant.now().minus(Duration.ofMinutes(5)), selfSignedValidity));
    } catch (CryptoException | IOException e) {
      throw new NodeException("CSR_FAILED", e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new NodeException("BAD_NAME", e.getMessage(), e);
    }
  }

  /**
   * What {@link #webTlsCsr} made: the CSR (PEM), the key's SPKI, and a self-signed certificate for
   * test deployments without a CA (null unless asked for).
   */
  public record WebTlsRequest(String csrPem, byte[] spki, String selfSignedPem) {}

  /** Where {@link #init} writes the node's identity certificate (PEM, public). */
  public static final String IDENTITY_FILE = "identity.pem";

  /** This node's operator endorsement, read from the configured file. */
  public dev.veilraft.membership.proto.OperatorEndorsement endorsement() throws NodeException {
    Path file = config.endorsementFile();
    try {
      byte[] bytes = java.nio.file.Files.readAllBytes(file);
      if (bytes.length > 4096) {
        throw new NodeException("BAD_ENDORSEMENT", file + ": endorsement is " + bytes.length + " bytes, at most 4096");
      }
      return dev.veilraft.membership.proto.OperatorEndorsement.parseFrom(bytes);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new NodeException("MISSING_ENDORSEMENT", file + " does not exist: run 'veilraft node init' and have the "
          + "node's operator sign " + config.dataDir().resolve(IDENTITY_FILE) + " with 'veilraft operator endorse'");
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new NodeException("BAD_ENDORSEMENT", file + ": not an OperatorEndorsement protobuf: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new NodeException("BAD_ENDORSEMENT", file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Evidence for a client: bound to {@code nonce}, the identity and KEM keys and, when the node
   * serves a CA-issued web certificate, that certificate's key ({@link ReportData#bindWebTls}).
   */
  public Evidence attestForClient(byte[] nonce) throws NodeException {
    if (webTls == null) {
      return attest(nonce);
    }
    try {
      return platform.attester().attest(ReportData.bindWebTls(nonce, keys.identity().spki(), keys.kem().publicKey(),
          webTls.spki()));
    } catch (AttestationException e) {
      throw new NodeException("ATTESTATION_FAILED", "TEE did not produce evidence: " + e.getMessage(), e);
    }
  }

  /** The web TLS key's SPKI when the node serves a CA-issued certificate. */
  public java.util.Optional<byte[]> webTlsSpki() {
    return webTls == null ? java.util.Optional.empty() : java.util.Optional.of(webTls.spki());
  }

  /** Evidence from this node's TEE bound to {@code nonce} and this node's identity and KEM keys. */
  public Evidence attest(byte[] nonce) throws NodeException {
    try {
      return platform.attester().attest(ReportData.bind(nonce, keys.identity().spki(), keys.kem().publicKey()));
    } catch (AttestationException e) {
      throw new NodeException("ATTESTATION_FAILED", "TEE did not produce evidence: " + e.getMessage(), e);
    }
  }

  /**
   * Creates the next key epoch for the current members. Retries when the proposal was built on a
   * view that another entry overtook (the replicated check refuses stale rotations).
   */
  public long rotateKey() throws NodeException, InterruptedException {
    synchronized (rotationLock) {
      String lastReason = "";
      for (int attempt = 1; attempt <= ROTATION_ATTEMPTS_MAX; attempt++) {
        MembershipView view = replica.view();
        EpochSecret previous = view.epoch() == 0 ? null : replica.keyring().get(view.epoch()).orElseThrow(
            () -> new NodeException("NO_EPOCH_SECRET", "this node does not hold the secret of epoch " + view.epoch()));
        byte[] fresh = new byte[EpochSecret.BYTES];
        random.nextBytes(fresh);
        KeyEpoch entry;
        try {
          entry = KeyEpochs.propose(view, previous, fresh);
        } catch (CryptoException e) {
          throw new NodeException("ROTATION_FAILED", "cannot wrap the epoch secret: " + e.getMessage(), e);
        }
        KeyEpochDecision decision = submit(Proposal.newBuilder().setKeyEpoch(entry).build()).getKeyEpoch();
        if (decision.getAccepted()) {
          awaitEpoch(entry.getEpoch());
          Audit.log(Audit.Event.KEY_ROTATED, "epoch", entry.getEpoch(), "members", entry.getMemberIdsCount(), "by",
              keys.nodeId());
          return entry.getEpoch();
        }
        lastReason = decision.getReason();
        LOG.info("rotation attempt {} refused ({}); retrying on a fresh view", attempt, lastReason);
        Await.until(() -> replica.view().epoch() > view.epoch() || replica.view().members().size() != view.members().size(),
            Duration.ofMillis(200));
      }
      throw new NodeException("ROTATION_FAILED", "key rotation refused " + ROTATION_ATTEMPTS_MAX + " times: " + lastReason);
    }
  }

  /** Waits until this replica applied epoch {@code epoch}. */
  public void awaitEpoch(long epoch) throws NodeException, InterruptedException {
    if (!Await.until(() -> replica.view().epoch() >= epoch, PROPOSAL_TIMEOUT)) {
      throw new NodeException("TIMEOUT", "epoch " + epoch + " was not applied here within " + PROPOSAL_TIMEOUT);
    }
  }

  /**
   * Submits a proposal; the future completes with the applied result, or fails after {@link
   * #PROPOSAL_TIMEOUT} (a {@code TimeoutException}), or with {@code NodeException} {@code CLOSED}
   * when the node closes first.
   */
  public java.util.concurrent.CompletableFuture<ApplyResult> submitAsync(Proposal proposal) {
    RaftConsensus c = consensus;
    if (c == null) {
      return java.util.concurrent.CompletableFuture.failedFuture(new NodeException("NOT_READY", "raft server is not started"));
    }
    return callDeadlines.bound(c.submit(proposal));
  }

  /**
   * {@link #submitAsync} of several client events at once (a bundle): queued together, so they
   * can share one log entry; each fails on its own after {@link #PROPOSAL_TIMEOUT}, or when the
   * node closes first.
   */
  public List<java.util.concurrent.CompletableFuture<ApplyResult>> submitEventsAsync(
      List<dev.veilraft.crypto.proto.SealedRequest> events) {
    RaftConsensus c = consensus;
    if (c == null) {
      return events.stream().map(e -> java.util.concurrent.CompletableFuture.<ApplyResult>failedFuture(
          new NodeException("NOT_READY", "raft server is not started"))).toList();
    }
    return c.submitEvents(events).stream()
        .map(callDeadlines::bound).toList();
  }

  /**
   * Answers a sealed query through Raft's read path: linearizable (ReadIndex) unless {@code stale};
   * fails after {@link #PROPOSAL_TIMEOUT}, or when the node closes first.
   */
  public java.util.concurrent.CompletableFuture<ApplyResult> queryAsync(byte[] sealedQuery, boolean stale) {
    RaftConsensus c = consensus;
    if (c == null) {
      return java.util.concurrent.CompletableFuture.failedFuture(new NodeException("NOT_READY", "raft server is not started"));
    }
    return callDeadlines.bound(c.query(sealedQuery, stale));
  }

  /** Submits a proposal and waits (bounded) for its applied result. */
  public ApplyResult submit(Proposal proposal) throws NodeException, InterruptedException {
    try {
      return submitAsync(proposal).get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof NodeException ne) {
        throw ne;
      }
      if (cause instanceof TimeoutException) {
        throw new NodeException("TIMEOUT", "proposal not committed within " + PROPOSAL_TIMEOUT);
      }
      throw new NodeException("COMMIT_FAILED", "proposal's commit was not confirmed (it may still apply): " + cause,
          cause);
    }
  }

  public NodeConfig config() {
    return config;
  }

  public Clock clock() {
    return clock;
  }

  public NodeKeys keys() {
    return keys;
  }

  public String nodeId() {
    return keys.nodeId();
  }

  public GenesisDocument genesis() {
    return genesis;
  }

  public EvidenceVerifier verifier() {
    return verifier;
  }

  public Replica replica() {
    return replica;
  }

  public RaftConsensus consensus() {
    return consensus;
  }

  /** The HTTPS API server (tests compare its routes with the OpenAPI description). */
  ApiServer api() {
    return api;
  }

  /** This node's metrics (Prometheus, served at GET /metrics). */
  public NodeMetrics metrics() {
    return metrics;
  }

  public EpochHistoryFile historyFile() {
    return historyFile;
  }

  public byte[] measurement() {
    return platform.attester().measurement();
  }

  public Path dataDir() {
    return config.dataDir();
  }

  /** The HTTPS API's base URL, {@code https://host:port}. */
  public java.net.URI apiUrl() {
    return java.net.URI.create("https://" + config.api().host() + ":" + api.port());
  }

  /** The INSECURE plain HTTP base URL ({@code http://127.0.0.1:port}), when configured. */
  public java.util.Optional<java.net.URI> insecurePlainHttpUrl() {
    NodeConfig.Endpoint plain = config.insecurePlainHttp();
    return plain == null ? java.util.Optional.empty()
        : java.util.Optional.of(java.net.URI.create("http://" + plain.host() + ":" + api.insecurePlainPort()));
  }

  /** Pending evictions this node (as leader) will not execute because they would break quorum. */
  public List<String> blockedEvictions() {
    MembershipDuties d = duties;
    return d == null ? List.of() : d.blockedEvictions();
  }

  @Override
  public void close() {
    try {
      closeParts();
    } finally {
      try {
        // After the server, whose close fails what it still holds with its own reasons.
        callDeadlines.close();
      } finally {
        // Last, and even when a part failed to close: a restart in this process must find it free.
        dataDirLock.close();
      }
    }
  }

  private void closeParts() {
    MembershipDuties d = duties;
    if (d != null) {
      d.close();
    }
    if (frontEnds != null) {
      frontEnds.close();
    }
    if (api != null) {
      api.close();
    }
    RaftConsensus c = consensus;
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.warn("raft server did not close cleanly: {}", e.getMessage());
      }
    }
    // A snapshot install may have replaced the store the node opened.
    if (replica != null) {
      replica.store().close();
    }
  }
}
