package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.Policies;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.GenesisFile;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorSignature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A validated genesis: the exact serialized bytes operators agreed on, the cluster id
 * SHA-256(bytes) that names the cluster everywhere (Raft group id, HPKE info, signatures), and the
 * operators' signatures over the cluster id. Signatures live in the file, outside the hashed
 * bytes, so signing never changes the cluster id.
 *
 * <p>Zero in a MembershipRules or RequestLimits field means the default documented on its accessor
 * here ({@link #reattestIntervalMs()} ...); a non-zero value must lie in the range the accessor
 * names ({@link GenesisRules}).
 */
public final class GenesisDocument {
  public static final String FORMAT = "veilraft-genesis/v1";
  public static final String SIGNATURE_LABEL = "veilraft/genesis/v1";
  public static final int GENESIS_FILE_BYTES_MAX = 1 << 20;
  public static final long JOIN_WINDOW_MS_MIN = 1_000;
  public static final long JOIN_WINDOW_MS_MAX = 3_600_000;
  public static final int MEMBERS_MAX_LIMIT = 64;
  /** ECDSA P-256 DER signatures are at most 72 bytes; anything longer is refused at parse. */
  public static final int SIGNATURE_BYTES_MAX = 80;

  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final byte[] genesisBytes;
  private final Genesis genesis;
  private final byte[] clusterId;
  private final List<OperatorSignature> signatures;

  private GenesisDocument(byte[] genesisBytes, Genesis genesis, List<OperatorSignature> signatures) {
    this.genesisBytes = genesisBytes;
    this.genesis = genesis;
    this.clusterId = Hashes.sha256(genesisBytes);
    this.signatures = List.copyOf(signatures);
  }

  /** Serializes and validates a new genesis; it has no signatures yet. */
  public static GenesisDocument create(Genesis genesis) throws GenesisException {
    validate(genesis);
    return new GenesisDocument(genesis.toByteArray(), genesis, List.of());
  }

  /** Parses the serialized Genesis message exactly as agreed (its hash is the cluster id); no signatures. */
  public static GenesisDocument fromGenesisBytes(byte[] bytes) throws GenesisException {
    Genesis genesis;
    try {
      genesis = Genesis.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new GenesisException("genesis is not a veilraft Genesis protobuf: " + e.getMessage(), e);
    }
    validate(genesis);
    return new GenesisDocument(bytes.clone(), genesis, List.of());
  }

  /**
   * Parses a genesis file's bytes, keeping its signatures (checked by {@link #verifySignatures}, not
   * here: an incompletely signed file is still a valid file to sign); {@code source} names the file
   * in errors.
   */
  public static GenesisDocument parseFile(byte[] fileBytes, String source) throws GenesisException {
    if (fileBytes.length == 0) {
      throw new GenesisException(source + ": genesis file is empty");
    }
    if (fileBytes.length > GENESIS_FILE_BYTES_MAX) {
      throw new GenesisException(source + ": genesis file is " + fileBytes.length + " bytes, more than "
          + GENESIS_FILE_BYTES_MAX);
    }
    GenesisFile file;
    try {
      file = GenesisFile.parseFrom(fileBytes);
    } catch (InvalidProtocolBufferException e) {
      throw new GenesisException(source + ": not a veilraft genesis file (protobuf does not parse: "
          + e.getMessage() + ")", e);
    }
    if (!FORMAT.equals(file.getFormat())) {
      throw new GenesisException(source + ": field format is '" + file.getFormat() + "', expected '" + FORMAT + "'");
    }
    try {
      return fromGenesisBytes(file.getGenesis().toByteArray()).withSignatures(file.getSignaturesList());
    } catch (GenesisException e) {
      throw new GenesisException(source + ": " + e.getMessage(), e);
    }
  }

  public static GenesisDocument read(Path path) throws GenesisException {
    try {
      return parseFile(Files.readAllBytes(path), path.toString());
    } catch (NoSuchFileException e) {
      throw new GenesisException(path + ": genesis file does not exist");
    } catch (IOException e) {
      throw new GenesisException(path + ": cannot read genesis file: " + e.getMessage(), e);
    }
  }

  /** The genesis file: format, genesis bytes, and the signatures in the order of the genesis operators. */
  public byte[] toFileBytes() {
    return GenesisFile.newBuilder().setFormat(FORMAT).setGenesis(ByteString.copyFrom(genesisBytes))
        .addAllSignatures(signatures).build().toByteArray();
  }

  /** Writes the file atomically (a temporary sibling, then a rename), replacing any previous file. */
  public void write(Path path) throws IOException {
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    Files.write(tmp, toFileBytes());
    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  // ---- signatures ----

  /** What operators sign: {@code "veilraft/genesis/v1" || cluster_id}. */
  public static byte[] signingMessage(byte[] clusterId) {
    return Hashes.concat(Hashes.utf8(SIGNATURE_LABEL), clusterId);
  }

  /** The signatures this document carries (from its file, or added by {@link #sign}). */
  public List<OperatorSignature> signatures() {
    return signatures;
  }

  /**
   * The same genesis with exactly {@code signatures} (e.g. InitCluster.genesis_signatures). Only
   * their shape is checked here (bounded count and sizes); {@link #verifySignatures} judges them.
   */
  public GenesisDocument withSignatures(List<OperatorSignature> signatures) throws GenesisException {
    if (signatures.size() > Operators.OPERATORS_MAX) {
      throw new GenesisException("genesis carries " + signatures.size() + " signatures, at most "
          + Operators.OPERATORS_MAX);
    }
    for (int i = 0; i < signatures.size(); i++) {
      if (signatures.get(i).getSignature().size() > SIGNATURE_BYTES_MAX) {
        throw new GenesisException("field signatures[" + i + "].signature is " + signatures.get(i).getSignature().size()
            + " bytes, more than " + SIGNATURE_BYTES_MAX);
      }
    }
    return new GenesisDocument(genesisBytes, genesis, signatures);
  }

  /**
   * A copy signed by operator {@code operatorName}, replacing any earlier signature of that
   * operator. Fails when the name is not a genesis operator or {@code key} is not its listed key.
   */
  public GenesisDocument sign(String operatorName, OperatorKey key) throws GenesisException {
    Operator operator = Operators.find(genesis.getOperatorsList(), operatorName).orElseThrow(() ->
        new GenesisException("'" + Check.printable(operatorName) + "' is not an operator of this genesis (operators: "
            + operatorNames() + ")"));
    if (!Arrays.equals(operator.getPublicKeySpki().toByteArray(), key.publicKeySpki())) {
      throw new GenesisException("this key (sha256 " + key.fingerprintHex() + ") is not operator '" + operatorName
          + "''s key in the genesis (sha256 " + OperatorKey.fingerprintHex(operator.getPublicKeySpki().toByteArray())
          + ")");
    }
    OperatorSignature signature = OperatorSignature.newBuilder().setOperator(operatorName)
        .setSignature(ByteString.copyFrom(key.sign(signingMessage(clusterId)))).build();
    List<OperatorSignature> updated = new ArrayList<>();
    for (Operator op : genesis.getOperatorsList()) {
      if (op.getName().equals(operatorName)) {
        updated.add(signature);
      } else {
        signatures.stream().filter(s -> s.getOperator().equals(op.getName())).findFirst().ifPresent(updated::add);
      }
    }
    return new GenesisDocument(genesisBytes, genesis, updated);
  }

  /**
   * Every problem with the signatures, in operator order; empty when each genesis operator signed
   * exactly once with its listed key and nobody else signed. Deterministic.
   */
  public List<String> verifySignatures() {
    List<String> problems = new ArrayList<>();
    byte[] message = signingMessage(clusterId);
    Map<String, Integer> seen = new HashMap<>();
    for (OperatorSignature s : signatures) {
      seen.merge(s.getOperator(), 1, Integer::sum);
      if (Operators.find(genesis.getOperatorsList(), s.getOperator()).isEmpty()) {
        problems.add("signature by '" + Check.printable(s.getOperator()) + "', who is not an operator of this genesis");
      }
    }
    for (Operator op : genesis.getOperatorsList()) {
      int count = seen.getOrDefault(op.getName(), 0);
      if (count == 0) {
        problems.add("operator '" + op.getName() + "' has not signed");
      } else if (count > 1) {
        problems.add("operator '" + op.getName() + "' signed " + count + " times (exactly one signature expected)");
      } else {
        OperatorSignature s = signatures.stream().filter(x -> x.getOperator().equals(op.getName())).findFirst()
            .orElseThrow();
        if (!OperatorKey.verify(op.getPublicKeySpki().toByteArray(), message, s.getSignature().toByteArray())) {
          problems.add("signature of operator '" + op.getName() + "' does not verify against its public key (sha256 "
              + Hashes.shortHex(Hashes.sha256(op.getPublicKeySpki().toByteArray()), 8)
              + ") for cluster " + Hashes.shortHex(clusterId, 8));
        }
      }
    }
    return problems;
  }

  /** Whether every operator signed with its key. */
  public boolean fullySigned() {
    return verifySignatures().isEmpty();
  }

  /** Fails, naming every missing or bad signature, unless {@link #fullySigned()}. */
  public void requireFullySigned() throws GenesisException {
    List<String> problems = verifySignatures();
    if (!problems.isEmpty()) {
      throw new GenesisException("genesis of cluster " + Hashes.shortHex(clusterId, 8) + " is not fully signed: "
          + String.join("; ", problems));
    }
  }

  private String operatorNames() {
    return String.join(", ", genesis.getOperatorsList().stream().map(Operator::getName).toList());
  }

  // ---- validation ----

  static void validate(Genesis g) throws GenesisException {
    if (!CLUSTER_NAME.matcher(g.getClusterName()).matches()) {
      throw new GenesisException("field cluster_name '" + Check.printable(g.getClusterName())
          + "' must be 1-64 characters of letters, digits, '.', '_' or '-'");
    }
    validatePolicy(g);
    if (g.getJoinWindowMs() < JOIN_WINDOW_MS_MIN || g.getJoinWindowMs() > JOIN_WINDOW_MS_MAX) {
      throw new GenesisException("field join_window_ms is " + Long.toUnsignedString(g.getJoinWindowMs())
          + ", expected " + JOIN_WINDOW_MS_MIN + ".." + JOIN_WINDOW_MS_MAX);
    }
    if (g.getMembersMax() < 1 || g.getMembersMax() > MEMBERS_MAX_LIMIT) {
      throw new GenesisException("field members_max is " + Integer.toUnsignedString(g.getMembersMax())
          + ", expected 1.." + MEMBERS_MAX_LIMIT);
    }
    Optional<String> operators = Operators.problem(g.getOperatorsList(), g.getGovernanceThreshold(), "",
        "governance_threshold");
    if (operators.isPresent()) {
      throw new GenesisException(operators.get());
    }
    GenesisRules.validate(g.getRules(), g.getLimits());
    if (!ProtocolVersions.valid(g.getProtocolVersion())) {
      throw new GenesisException("field protocol_version is " + Integer.toUnsignedString(g.getProtocolVersion())
          + ", expected 1.." + ProtocolVersions.VERSION_LIMIT + " (0 means " + ProtocolVersions.DEFAULT + ")");
    }
  }

  private static void validatePolicy(Genesis g) throws GenesisException {
    if (!g.hasPolicy()) {
      throw new GenesisException("field policy is missing");
    }
    Policy p = g.getPolicy();
    Optional<String> problem = Policies.problem(p, "policy.");
    if (problem.isPresent()) {
      throw new GenesisException(problem.get());
    }
    // The simulated SNP root travels in the genesis; a simulated TDX root is pinned by hash only
    // (its evidence carries the chain up to the root, like Intel's).
    if (p.getAllowSimulated() && !p.getSimulatedRootSha256().isEmpty()) {
      byte[] root = g.getSimulatedRootCert().toByteArray();
      if (root.length == 0 || !MessageDigest.isEqual(Hashes.sha256(root), p.getSimulatedRootSha256().toByteArray())) {
        throw new GenesisException("field simulated_root_cert does not hash to policy.simulated_root_sha256");
      }
    }
  }

  // ---- accessors ----

  public byte[] clusterId() {
    return clusterId.clone();
  }

  public String clusterIdHex() {
    return Hashes.hex(clusterId);
  }

  public Genesis genesis() {
    return genesis;
  }

  /** The protocol version the cluster starts at (absent = {@link ProtocolVersions#DEFAULT}). */
  public long protocolVersion() {
    return ProtocolVersions.effective(genesis.getProtocolVersion());
  }

  public byte[] genesisBytes() {
    return genesisBytes.clone();
  }

  public Policy policy() {
    return genesis.getPolicy();
  }

  /** SHA-256 of the serialized policy, an input of every epoch secret. */
  public byte[] policyHash() {
    return Hashes.sha256(genesis.getPolicy().toByteArray());
  }

  /** The genesis operator set (governance may replace it later: see MembershipView.operators()). */
  public List<Operator> operators() {
    return genesis.getOperatorsList();
  }

  public int governanceThreshold() {
    return genesis.getGovernanceThreshold();
  }

  /** What a join that would give one operator a Raft majority becomes (default: a listener). */
  public DiversityAction diversity() {
    return genesis.getRules().getDiversity();
  }

  public boolean allowSharedPlatformInstance() {
    return genesis.getRules().getAllowSharedPlatformInstance();
  }

  /** How often the leader commits a beacon; default 10 minutes, range 1 s .. 7 days. */
  public long reattestIntervalMs() {
    long v = genesis.getRules().getReattestIntervalMs();
    return v == 0 ? GenesisRules.REATTEST_INTERVAL_MS_DEFAULT : v;
  }

  /** How long a beacon may stay unanswered before eviction; default 2 intervals, range 1 s .. 30 days. */
  public long reattestGraceMs() {
    long v = genesis.getRules().getReattestGraceMs();
    return v == 0 ? 2 * reattestIntervalMs() : v;
  }

  /** How long a member that fails a changed policy stays; default 24 h, range 1 s .. 30 days. */
  public long policyGraceMs() {
    long v = genesis.getRules().getPolicyGraceMs();
    return v == 0 ? GenesisRules.POLICY_GRACE_MS_DEFAULT : v;
  }

  /** Scheduled key rotation; default 24 h, range 1 min .. 30 days. */
  public long rotationIntervalMs() {
    long v = genesis.getRules().getRotationIntervalMs();
    return v == 0 ? GenesisRules.ROTATION_INTERVAL_MS_DEFAULT : v;
  }

  /** Longest lifetime of a governance proposal; default 7 days, range 1 min .. 30 days. */
  public long proposalTtlMsMax() {
    long v = genesis.getRules().getProposalTtlMsMax();
    return v == 0 ? GenesisRules.PROPOSAL_TTL_MS_MAX_DEFAULT : v;
  }

  /** Largest plaintext of one sealed request (an event or a batch); default 64 KiB, range 1 KiB .. 1 MiB. */
  public int eventBytesMax() {
    int v = genesis.getLimits().getEventBytesMax();
    return v == 0 ? GenesisRules.EVENT_BYTES_MAX_DEFAULT : v;
  }

  /** Most applied-but-unacknowledged requests per client; default 128, range 1 .. 65536. */
  public int pendingPerClientMax() {
    int v = genesis.getLimits().getPendingPerClientMax();
    return v == 0 ? GenesisRules.PENDING_PER_CLIENT_MAX_DEFAULT : v;
  }

  /** Most events in one batch entry; default 64, range 1 .. 4096. */
  public int batchEventsMax() {
    int v = genesis.getLimits().getBatchEventsMax();
    return v == 0 ? GenesisRules.BATCH_EVENTS_MAX_DEFAULT : v;
  }
}
