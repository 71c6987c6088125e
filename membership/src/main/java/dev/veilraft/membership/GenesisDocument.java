package dev.veilraft.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.Policies;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.GenesisFile;
import dev.veilraft.membership.proto.Operator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A validated genesis: the exact serialized bytes operators agreed on, and the cluster id
 * SHA-256(bytes) that names the cluster everywhere (Raft group id, HPKE info, signatures).
 */
public final class GenesisDocument {
  public static final String FORMAT = "veilraft-genesis/v1";
  public static final int GENESIS_FILE_BYTES_MAX = 1 << 20;
  public static final long JOIN_WINDOW_MS_MIN = 1_000;
  public static final long JOIN_WINDOW_MS_MAX = 3_600_000;
  public static final int MEMBERS_MAX_LIMIT = 64;
  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final byte[] genesisBytes;
  private final Genesis genesis;
  private final byte[] clusterId;

  private GenesisDocument(byte[] genesisBytes, Genesis genesis) {
    this.genesisBytes = genesisBytes;
    this.genesis = genesis;
    this.clusterId = Hashes.sha256(genesisBytes);
  }

  /** Serializes and validates a new genesis. */
  public static GenesisDocument create(Genesis genesis) throws GenesisException {
    validate(genesis);
    return new GenesisDocument(genesis.toByteArray(), genesis);
  }

  /** Parses the serialized Genesis message exactly as agreed (its hash is the cluster id). */
  public static GenesisDocument fromGenesisBytes(byte[] bytes) throws GenesisException {
    Genesis genesis;
    try {
      genesis = Genesis.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new GenesisException("genesis is not a veilraft Genesis protobuf: " + e.getMessage(), e);
    }
    validate(genesis);
    return new GenesisDocument(bytes.clone(), genesis);
  }

  /** Parses a genesis file's bytes; {@code source} names the file in errors. */
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
      return fromGenesisBytes(file.getGenesis().toByteArray());
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

  public byte[] toFileBytes() {
    return GenesisFile.newBuilder().setFormat(FORMAT)
        .setGenesis(com.google.protobuf.ByteString.copyFrom(genesisBytes)).build().toByteArray();
  }

  public void write(Path path) throws IOException {
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    Files.write(tmp, toFileBytes());
    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static void validate(Genesis g) throws GenesisException {
    if (!CLUSTER_NAME.matcher(g.getClusterName()).matches()) {
      throw new GenesisException("field cluster_name '" + g.getClusterName()
          + "' must be 1-64 characters of letters, digits, '.', '_' or '-'");
    }
    validatePolicy(g);
    if (g.getJoinWindowMs() < JOIN_WINDOW_MS_MIN || g.getJoinWindowMs() > JOIN_WINDOW_MS_MAX) {
      throw new GenesisException("field join_window_ms is " + g.getJoinWindowMs() + ", expected "
          + JOIN_WINDOW_MS_MIN + ".." + JOIN_WINDOW_MS_MAX);
    }
    if (g.getMembersMax() < 1 || g.getMembersMax() > MEMBERS_MAX_LIMIT) {
      throw new GenesisException("field members_max is " + g.getMembersMax() + ", expected 1.." + MEMBERS_MAX_LIMIT);
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < g.getOperatorsCount(); i++) {
      Operator op = g.getOperators(i);
      if (op.getName().isBlank() || !names.add(op.getName())) {
        throw new GenesisException("field operators[" + i + "].name '" + op.getName() + "' is empty or repeated");
      }
    }
    if (g.getGovernanceThreshold() > g.getOperatorsCount()) {
      throw new GenesisException("field governance_threshold is " + g.getGovernanceThreshold()
          + " but only " + g.getOperatorsCount() + " operators are listed");
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
    if (p.getAllowSimulated()) {
      byte[] root = g.getSimulatedRootCert().toByteArray();
      if (root.length == 0 || !MessageDigest.isEqual(Hashes.sha256(root), p.getSimulatedRootSha256().toByteArray())) {
        throw new GenesisException("field simulated_root_cert does not hash to policy.simulated_root_sha256");
      }
    }
  }

  public byte[] clusterId() {
    return clusterId.clone();
  }

  public String clusterIdHex() {
    return Hashes.hex(clusterId);
  }

  public Genesis genesis() {
    return genesis;
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
}
