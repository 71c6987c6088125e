package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.GenesisFile;
import dev.veilraft.membership.proto.Operator;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenesisDocumentTest {
  /** Stands in for a simulated ARK: genesis validation hashes the certificate, it does not parse it. */
  private static final byte[] ROOT_CERT = Hashes.utf8("simulated ARK certificate bytes");
  private static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("approved code"));
  private static final OperatorKey ALICE = OperatorKey.generate();
  private static final OperatorKey BOB = OperatorKey.generate();

  private static Genesis.Builder valid() {
    return Genesis.newBuilder()
        .setClusterName("prod-eu_1.a")
        .setPolicy(Policy.newBuilder().setName("prod-2026-11").setAllowSimulated(true)
            .setSimulatedRootSha256(ByteString.copyFrom(Hashes.sha256(ROOT_CERT)))
            .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT)))
        .addOperators(operator("alice", ALICE))
        .addOperators(operator("bob", BOB))
        .setGovernanceThreshold(2)
        .setJoinWindowMs(60_000)
        .setMembersMax(5)
        .setSimulatedRootCert(ByteString.copyFrom(ROOT_CERT));
  }

  static Operator operator(String name, OperatorKey key) {
    return Operator.newBuilder().setName(name).setNodesMax(2).setPublicKeySpki(ByteString.copyFrom(key.publicKeySpki()))
        .build();
  }

  private static byte[] fileOf(byte[] genesisBytes) {
    return GenesisFile.newBuilder().setFormat(GenesisDocument.FORMAT).setGenesis(ByteString.copyFrom(genesisBytes))
        .build().toByteArray();
  }

  @Test
  void roundTripThroughTheFileFormatKeepsTheClusterId(@TempDir Path dir) throws Exception {
    // A created genesis written as a file and parsed back names the same cluster, byte for byte.
    GenesisDocument created = GenesisDocument.create(valid().build());
    GenesisDocument parsed = GenesisDocument.parseFile(created.toFileBytes(), "genesis.bin");
    assertThat(parsed.clusterId()).isEqualTo(created.clusterId()).hasSize(32);
    assertThat(parsed.clusterId()).isEqualTo(Hashes.sha256(created.genesisBytes()));
    assertThat(parsed.genesisBytes()).isEqualTo(created.genesisBytes());
    assertThat(parsed.genesis()).isEqualTo(valid().build());
    assertThat(parsed.policyHash()).isEqualTo(Hashes.sha256(valid().build().getPolicy().toByteArray()));

    Path file = dir.resolve("genesis.bin");
    created.write(file);
    assertThat(GenesisDocument.read(file).clusterIdHex()).isEqualTo(created.clusterIdHex());
  }

  @Test
  void differentGenesisContentNamesADifferentCluster() throws Exception {
    // The cluster id commits to the whole genesis: changing one field gives another cluster.
    GenesisDocument a = GenesisDocument.create(valid().build());
    GenesisDocument b = GenesisDocument.create(valid().setMembersMax(6).build());
    assertThat(a.clusterId()).isNotEqualTo(b.clusterId());
  }

  @Test
  void badClusterNameIsRefusedNamingTheField() {
    // A cluster name outside [A-Za-z0-9._-]{1,64} is refused with an error naming cluster_name.
    for (String name : new String[] {"", "has space", "new\nline", "x".repeat(65), "ünïcode", "a/b"}) {
      assertThatThrownBy(() -> GenesisDocument.create(valid().setClusterName(name).build()))
          .isInstanceOf(GenesisException.class).hasMessageContaining("field cluster_name");
    }
  }

  @Test
  void missingPolicyIsRefused() {
    // A genesis without a policy is refused with an error naming the policy field.
    assertThatThrownBy(() -> GenesisDocument.create(valid().clearPolicy().build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field policy is missing");
  }

  @Test
  void unnamedPolicyIsRefused() {
    // A policy must have a name so rejection messages can cite it.
    assertThatThrownBy(() -> GenesisDocument.create(valid().setPolicy(valid().getPolicy().toBuilder().setName(" ")).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field policy.name");
  }

  @Test
  void measurementOfTheWrongSizeIsRefusedNamingItsIndex() {
    // A 47-byte measurement is refused, and the error names policy.allowed_measurements[i] and its size.
    Policy policy = valid().getPolicy().toBuilder().clearAllowedMeasurements()
        .addAllowedMeasurements(ByteString.copyFrom(new byte[47])).build();
    assertThatThrownBy(() -> GenesisDocument.create(valid().setPolicy(policy).build()))
        .isInstanceOf(GenesisException.class)
        .hasMessageContaining("policy.allowed_measurements[0]").hasMessageContaining("47 bytes");
    Policy second = valid().getPolicy().toBuilder().addAllowedMeasurements(ByteString.copyFrom(new byte[49])).build();
    assertThatThrownBy(() -> GenesisDocument.create(valid().setPolicy(second).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("policy.allowed_measurements[1]");
  }

  @Test
  void allowSimulatedWithoutARootIsRefused() {
    // allow_simulated needs a 32-byte simulated_root_sha256; without it the error names that field.
    Policy policy = valid().getPolicy().toBuilder().clearSimulatedRootSha256().build();
    assertThatThrownBy(() -> GenesisDocument.create(valid().setPolicy(policy).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("policy.simulated_root_sha256");
  }

  @Test
  void simulatedRootCertThatDoesNotHashToThePinnedShaIsRefused() {
    // The simulated root certificate must hash to the policy's pin; another or a missing certificate is refused.
    assertThatThrownBy(() -> GenesisDocument.create(valid()
        .setSimulatedRootCert(ByteString.copyFrom(Hashes.utf8("another root"))).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field simulated_root_cert");
    assertThatThrownBy(() -> GenesisDocument.create(valid().clearSimulatedRootCert().build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field simulated_root_cert");
  }

  @Test
  void joinWindowOutOfRangeIsRefused() {
    // join_window_ms must lie in JOIN_WINDOW_MS_MIN..JOIN_WINDOW_MS_MAX; both edges are accepted, one past is not.
    for (long window : new long[] {0, GenesisDocument.JOIN_WINDOW_MS_MIN - 1, GenesisDocument.JOIN_WINDOW_MS_MAX + 1,
        Long.MAX_VALUE, -1}) {
      assertThatThrownBy(() -> GenesisDocument.create(valid().setJoinWindowMs(window).build()))
          .isInstanceOf(GenesisException.class).hasMessageContaining("field join_window_ms");
    }
    for (long window : new long[] {GenesisDocument.JOIN_WINDOW_MS_MIN, GenesisDocument.JOIN_WINDOW_MS_MAX}) {
      assertThat(catchThrowable(() -> GenesisDocument.create(valid().setJoinWindowMs(window).build()))).isNull();
    }
  }

  @Test
  void membersMaxOutOfRangeIsRefused() {
    // members_max 0 (or above the limit, or a uint32 that reads negative) is refused naming members_max.
    for (int max : new int[] {0, GenesisDocument.MEMBERS_MAX_LIMIT + 1, -1}) {
      assertThatThrownBy(() -> GenesisDocument.create(valid().setMembersMax(max).build()))
          .isInstanceOf(GenesisException.class).hasMessageContaining("field members_max");
    }
  }

  @Test
  void duplicateOrBlankOperatorNamesAreRefused() {
    // Two operators with one name, or a blank name, are refused naming operators[i].name.
    assertThatThrownBy(() -> GenesisDocument.create(valid().addOperators(Operator.newBuilder().setName("alice")).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field operators[2].name 'alice'");
    assertThatThrownBy(() -> GenesisDocument.create(valid().addOperators(Operator.newBuilder().setName("")).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field operators[2].name");
  }

  @Test
  void thresholdAboveTheOperatorCountIsRefused() {
    // A governance threshold no set of listed operators can reach is refused naming governance_threshold.
    assertThatThrownBy(() -> GenesisDocument.create(valid().setGovernanceThreshold(3).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field governance_threshold is 3")
        .hasMessageContaining("2 operators");
  }

  @Test
  void emptyFileIsRefusedNamingTheSource() {
    // An empty file gets a clear message naming the file.
    assertThatThrownBy(() -> GenesisDocument.parseFile(new byte[0], "/etc/veilraft/genesis.bin"))
        .isInstanceOf(GenesisException.class).hasMessage("/etc/veilraft/genesis.bin: genesis file is empty");
  }

  @Test
  void oversizedFileIsRefusedBeforeParsing() {
    // A file over GENESIS_FILE_BYTES_MAX is refused with its size and the bound.
    byte[] big = new byte[GenesisDocument.GENESIS_FILE_BYTES_MAX + 1];
    assertThatThrownBy(() -> GenesisDocument.parseFile(big, "big.bin"))
        .isInstanceOf(GenesisException.class)
        .hasMessageContaining("big.bin").hasMessageContaining(String.valueOf(big.length))
        .hasMessageContaining(String.valueOf(GenesisDocument.GENESIS_FILE_BYTES_MAX));
  }

  @Test
  void wrongFormatStringIsRefused() throws Exception {
    // A genesis file of another format version is refused naming the format field and the expected value.
    byte[] file = GenesisFile.newBuilder().setFormat("veilraft-genesis/v2")
        .setGenesis(ByteString.copyFrom(GenesisDocument.create(valid().build()).genesisBytes())).build().toByteArray();
    assertThatThrownBy(() -> GenesisDocument.parseFile(file, "g.bin"))
        .isInstanceOf(GenesisException.class)
        .hasMessageContaining("field format is 'veilraft-genesis/v2'")
        .hasMessageContaining(GenesisDocument.FORMAT);
  }

  @Test
  void garbageBytesAreRefusedWithAGenesisException() {
    // Bytes that are not a genesis file (a text file, invalid protobuf) give a GenesisException naming the source.
    byte[][] garbage = {
        Hashes.utf8("cluster_name: prod\npolicy: {}\n"),
        {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
        {0x0A, 0x7F, 0x01},                 // field 1, length 127, 1 byte present
        {0x12, 0x03, 0x08, (byte) 0x80},    // field 2 truncated
    };
    for (byte[] bytes : garbage) {
      assertThatThrownBy(() -> GenesisDocument.parseFile(bytes, "junk.bin"))
          .isInstanceOf(GenesisException.class).hasMessageStartingWith("junk.bin: ");
    }
  }

  @Test
  void validWrapperAroundGarbageGenesisIsRefused() {
    // A well-formed file whose genesis field is not a Genesis protobuf is refused as such.
    assertThatThrownBy(() -> GenesisDocument.parseFile(fileOf(new byte[] {(byte) 0xFF, 0x01}), "g.bin"))
        .isInstanceOf(GenesisException.class).hasMessageContaining("not a veilraft Genesis protobuf");
    assertThatThrownBy(() -> GenesisDocument.parseFile(fileOf(new byte[0]), "g.bin"))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field cluster_name");
  }

  @Test
  void missingFileIsRefusedClearly(@TempDir Path dir) {
    // Reading a genesis path that does not exist says so instead of throwing an IOException.
    Path missing = dir.resolve("nope.bin");
    assertThatThrownBy(() -> GenesisDocument.read(missing))
        .isInstanceOf(GenesisException.class).hasMessageContaining("does not exist");
  }

  @Test
  void everyTruncationAndBitFlipGivesAGenesisExceptionOrAValidDocument() throws Exception {
    // Corrupted genesis files never escape as another exception type (seeded, so a failure replays).
    long seed = 20261121L;
    Random random = new Random(seed);
    byte[] file = GenesisDocument.create(valid().build()).toFileBytes();
    for (int length = 0; length < file.length; length++) {
      byte[] prefix = Arrays.copyOf(file, length);
      Throwable thrown = catchThrowable(() -> GenesisDocument.parseFile(prefix, "t.bin"));
      assertThat(thrown).as("truncated to %d bytes", length).isInstanceOf(GenesisException.class);
    }
    for (int i = 0; i < 2_000; i++) {
      byte[] copy = file.clone();
      copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
      Throwable thrown = catchThrowable(() -> GenesisDocument.parseFile(copy, "f.bin"));
      assertThat(thrown).as("seed %d, iteration %d", seed, i).satisfiesAnyOf(
          t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(GenesisException.class));
    }
    for (int i = 0; i < 500; i++) {
      byte[] junk = new byte[1 + random.nextInt(300)];
      random.nextBytes(junk);
      Throwable thrown = catchThrowable(() -> GenesisDocument.parseFile(junk, "r.bin"));
      assertThat(thrown).as("seed %d, random iteration %d", seed, i).satisfiesAnyOf(
          t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(GenesisException.class));
    }
  }

  @Test
  void aGenesisWithoutOperatorsIsRefused() {
    // Governance and endorsements need at least one operator; an empty operator set is refused naming the field.
    assertThatThrownBy(() -> GenesisDocument.create(valid().clearOperators().setGovernanceThreshold(0).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field operators is empty");
  }

  @Test
  void operatorKeysMustBeP256AndDistinct() {
    // A key that is not a P-256 SPKI, or one key listed for two operators, is refused naming the operator's field.
    assertThatThrownBy(() -> GenesisDocument.create(valid().setOperators(1, operator("bob", BOB).toBuilder()
        .setPublicKeySpki(ByteString.copyFrom(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}))).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field operators[1].public_key_spki");
    assertThatThrownBy(() -> GenesisDocument.create(valid().setOperators(1, operator("bob", ALICE)).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("operators[1].public_key_spki is the key of operators[0]");
    assertThatThrownBy(() -> GenesisDocument.create(valid().setOperators(1, operator("bob", BOB).toBuilder()
        .clearPublicKeySpki()).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("operators[1].public_key_spki");
  }

  @Test
  void operatorNamesFollowThePatternAndNodesMaxIsAtLeastOne() {
    // Names with spaces or slashes (they become file names) and nodes_max 0 are refused naming the field.
    for (String name : new String[] {"has space", "a/b", "-lead", "x".repeat(65)}) {
      assertThatThrownBy(() -> GenesisDocument.create(valid().setOperators(1, operator(name, BOB)).build()))
          .isInstanceOf(GenesisException.class).hasMessageContaining("field operators[1].name");
    }
    assertThatThrownBy(() -> GenesisDocument.create(valid().setOperators(1, operator("bob", BOB).toBuilder()
        .setNodesMax(0)).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field operators[1].nodes_max (operator 'bob') is 0");
  }

  @Test
  void thresholdZeroIsRefused() {
    // A threshold of 0 would let a proposal apply with no approval at all.
    assertThatThrownBy(() -> GenesisDocument.create(valid().setGovernanceThreshold(0).build()))
        .isInstanceOf(GenesisException.class).hasMessageContaining("field governance_threshold is 0");
  }

  @Test
  void zeroRulesAndLimitsReadAsTheDocumentedDefaults() throws Exception {
    // Unset rules and limits are the documented defaults; the grace period defaults to two intervals.
    GenesisDocument doc = GenesisDocument.create(valid().build());
    assertThat(doc.reattestIntervalMs()).isEqualTo(600_000);
    assertThat(doc.reattestGraceMs()).isEqualTo(1_200_000);
    assertThat(doc.policyGraceMs()).isEqualTo(86_400_000);
    assertThat(doc.rotationIntervalMs()).isEqualTo(86_400_000);
    assertThat(doc.proposalTtlMsMax()).isEqualTo(7 * 86_400_000L);
    assertThat(doc.eventBytesMax()).isEqualTo(64 << 10);
    assertThat(doc.pendingPerClientMax()).isEqualTo(128);
    assertThat(doc.batchEventsMax()).isEqualTo(64);
    assertThat(doc.diversity()).isEqualTo(dev.veilraft.membership.proto.DiversityAction.DIVERSITY_LISTENER);

    GenesisDocument set = GenesisDocument.create(valid().setRules(dev.veilraft.membership.proto.MembershipRules
        .newBuilder().setReattestIntervalMs(5_000)).build());
    assertThat(set.reattestIntervalMs()).isEqualTo(5_000);
    assertThat(set.reattestGraceMs()).as("default grace follows the interval").isEqualTo(10_000);
  }

  @Test
  void rulesAndLimitsOutOfRangeAreRefusedNamingTheField() {
    // Each non-zero rule or limit outside its documented range is refused with the field's name.
    var rules = dev.veilraft.membership.proto.MembershipRules.newBuilder();
    var limits = dev.veilraft.membership.proto.RequestLimits.newBuilder();
    record Case(String field, Genesis genesis) {}
    Case[] cases = {
        new Case("rules.reattest_interval_ms", valid().setRules(rules.clone().setReattestIntervalMs(999)).build()),
        new Case("rules.reattest_interval_ms", valid().setRules(rules.clone().setReattestIntervalMs(-1)).build()),
        new Case("rules.reattest_grace_ms", valid().setRules(rules.clone().setReattestGraceMs(31L * 86_400_000)).build()),
        new Case("rules.policy_grace_ms", valid().setRules(rules.clone().setPolicyGraceMs(10)).build()),
        new Case("rules.rotation_interval_ms", valid().setRules(rules.clone().setRotationIntervalMs(999)).build()),
        new Case("rules.proposal_ttl_ms_max", valid().setRules(rules.clone().setProposalTtlMsMax(1_000)).build()),
        new Case("rules.diversity", valid().setRules(rules.clone().setDiversityValue(7)).build()),
        new Case("limits.event_bytes_max", valid().setLimits(limits.clone().setEventBytesMax(17 << 20)).build()),
        new Case("limits.pending_per_client_max", valid().setLimits(limits.clone().setPendingPerClientMax(-1)).build()),
        new Case("limits.batch_events_max", valid().setLimits(limits.clone().setBatchEventsMax(4_097)).build()),
    };
    for (Case c : cases) {
      assertThatThrownBy(() -> GenesisDocument.create(c.genesis())).as(c.field())
          .isInstanceOf(GenesisException.class).hasMessageContaining("field " + c.field());
    }
  }
}
