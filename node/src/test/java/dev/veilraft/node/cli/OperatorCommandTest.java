package dev.veilraft.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.membership.Endorsements;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.OperatorEndorsement;
import dev.veilraft.node.TestClusters;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** 'veilraft operator' and the operator side of 'veilraft genesis': keygen, create, sign, verify, show, endorse. */
class OperatorCommandTest {
  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  static void keygen(Path dir, String name) {
    Run r = run("operator", "keygen", "--name", name, "--out", dir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
  }

  /** A two-operator hardware genesis (no simulated vendor to generate: fast), unsigned. */
  static Path createGenesis(Path dir) throws Exception {
    keygen(dir.resolve("keys"), "alice");
    keygen(dir.resolve("keys"), "bob");
    Path policy = Files.writeString(dir.resolve("policy.yaml"), "name: prod\nplatforms: [snp]\nmeasurements: ['"
        + "ab".repeat(48) + "']\n");
    Path genesis = dir.resolve("genesis.bin");
    Run created = run("genesis", "create", "--out", genesis.toString(), "--policy", policy.toString(), "--name", "two-ops",
        "--operator", "name=alice,key=" + dir.resolve("keys/alice.pub"),
        "--operator", "name=bob,key=" + dir.resolve("keys/bob.pub") + ",nodes-max=3",
        "--threshold", "2", "--reattest-interval", "5m", "--diversity", "refuse");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out()).contains("cluster id").contains("veilraft genesis sign");
    return genesis;
  }

  @Test
  void keygenWritesAnOwnerOnlyPrivateKeyAndPrintsTheFingerprint(@TempDir Path dir) throws Exception {
    // Proves keygen writes N.key (0600) and N.pub, prints the SPKI SHA-256, and never overwrites.
    Run r = run("operator", "keygen", "--name", "alice", "--out", dir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    byte[] spki = OperatorKey.loadPublicKey(dir.resolve("alice.pub"));
    assertThat(r.out()).contains("public key sha256 " + OperatorKey.fingerprintHex(spki));
    assertThat(OperatorKey.load(dir.resolve("alice.key")).publicKeySpki()).isEqualTo(spki);
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("alice.key"))))
          .isEqualTo("rw-------");
    }
    Run again = run("operator", "keygen", "--name", "alice", "--out", dir.toString());
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("refusing to overwrite");
    assertThat(run("operator", "keygen", "--name", "a/b", "--out", dir.toString()).exit()).isEqualTo(1);
  }

  @Test
  void aGenesisIsSignedByEachOperatorUntilVerifyPasses(@TempDir Path dir) throws Exception {
    // Proves create writes the operators and rules, verify lists every missing signature, and sign completes it.
    Path genesis = createGenesis(dir);
    GenesisDocument created = GenesisDocument.read(genesis);
    assertThat(created.operators()).extracting(o -> o.getName() + "/" + o.getNodesMax()).containsExactly("alice/9", "bob/3");
    assertThat(created.governanceThreshold()).isEqualTo(2);
    assertThat(created.reattestIntervalMs()).isEqualTo(300_000);
    assertThat(created.diversity()).isEqualTo(DiversityAction.DIVERSITY_REFUSE);

    Run unsigned = run("genesis", "verify", genesis.toString());
    assertThat(unsigned.exit()).isEqualTo(1);
    assertThat(unsigned.out()).contains("operator 'alice' has not signed").contains("operator 'bob' has not signed")
        .contains("NOT FULLY SIGNED");

    Run alice = run("genesis", "sign", "--key", dir.resolve("keys/alice.key").toString(), "--operator", "alice",
        genesis.toString());
    assertThat(alice.exit()).as(alice.err()).isZero();
    assertThat(alice.out()).contains("still needed: operator 'bob' has not signed");
    Run half = run("genesis", "verify", genesis.toString());
    assertThat(half.exit()).isEqualTo(1);
    assertThat(half.out()).doesNotContain("'alice'").contains("operator 'bob' has not signed");

    Run wrongKey = run("genesis", "sign", "--key", dir.resolve("keys/alice.key").toString(), "--operator", "bob",
        genesis.toString());
    assertThat(wrongKey.exit()).isEqualTo(1);
    assertThat(wrongKey.err()).startsWith("error: ").contains("not operator 'bob''s key");

    run("genesis", "sign", "--key", dir.resolve("keys/bob.key").toString(), "--operator", "bob", genesis.toString());
    Run full = run("genesis", "verify", genesis.toString());
    assertThat(full.exit()).as(full.out()).isZero();
    assertThat(full.out()).contains("fully signed by 2 operators: alice, bob");
    assertThat(GenesisDocument.read(genesis).clusterId()).isEqualTo(created.clusterId());

    Run shown = run("genesis", "show", genesis.toString());
    assertThat(shown.exit()).isZero();
    assertThat(shown.out()).contains("threshold 2 of 2").contains("alice  nodes_max 9").contains("bob  nodes_max 3")
        .contains("diversity refuse").contains("reattest interval 300000 ms").contains("fully signed")
        .contains("measurement " + "ab".repeat(48));
  }

  @Test
  void severalOperatorsNeedAnExplicitThreshold(@TempDir Path dir) throws Exception {
    // With more than one operator the threshold is a decision, not a default.
    TestClusters.seedVendor(dir.resolve("vendor"));
    keygen(dir, "alice");
    keygen(dir, "bob");
    Run r = run("genesis", "create", "--out", dir.resolve("g.bin").toString(), "--sim-vendor",
        dir.resolve("vendor").toString(), "--allow-measurement", "ab".repeat(48),
        "--operator", "name=alice,key=" + dir.resolve("alice.pub"), "--operator", "name=bob,key=" + dir.resolve("bob.pub"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("--threshold is required");
    Run badKey = run("genesis", "create", "--out", dir.resolve("g.bin").toString(), "--sim-vendor",
        dir.resolve("vendor").toString(), "--allow-measurement", "ab".repeat(48),
        "--operator", "name=alice,key=" + dir.resolve("missing.pub"));
    assertThat(badKey.exit()).isEqualTo(1);
    assertThat(badKey.err()).contains("missing.pub").contains("does not exist");
  }

  @Test
  void withoutOperatorsALocalOperatorIsCreatedAndSigns(@TempDir Path dir) throws Exception {
    // The old form of 'genesis create' still works: one operator 'local' is made next to the file and signs it.
    TestClusters.seedVendor(dir.resolve("vendor"));
    Path genesis = dir.resolve("genesis.bin");
    Run r = run("genesis", "create", "--out", genesis.toString(), "--sim-vendor", dir.resolve("vendor").toString(),
        "--allow-measurement", "ab".repeat(48));
    assertThat(r.exit()).as(r.err()).isZero();
    GenesisDocument doc = GenesisDocument.read(genesis);
    assertThat(doc.fullySigned()).isTrue();
    assertThat(doc.operators()).extracting(o -> o.getName()).containsExactly("local");
    assertThat(doc.diversity()).isEqualTo(DiversityAction.DIVERSITY_OFF);
    assertThat(Files.exists(dir.resolve("local.key"))).isTrue();
    Run again = run("genesis", "create", "--out", genesis.toString(), "--sim-vendor", dir.resolve("vendor").toString(),
        "--allow-measurement", "ab".repeat(48));
    assertThat(again.out()).contains("existing key");
    assertThat(GenesisDocument.read(genesis).clusterId()).as("same key, same genesis").isEqualTo(doc.clusterId());
  }

  @Test
  void endorseWritesAnEndorsementTheClusterAccepts(@TempDir Path dir) throws Exception {
    // Proves 'operator endorse' writes a binary OperatorEndorsement that verifies for that node and cluster.
    Path genesis = createGenesis(dir);
    NodeIdentity node = NodeIdentity.generate(Instant.now());
    Path pem = dir.resolve("node.pem");
    Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder().encodeToString(node.certificateDer()) + "\n-----END CERTIFICATE-----\n");
    Path out = dir.resolve("node.endorsement");

    Run r = run("operator", "endorse", "--key", dir.resolve("keys/bob.key").toString(), "--operator", "bob",
        "--genesis", genesis.toString(), "--node-identity", pem.toString(), "--out", out.toString());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("endorsed node " + node.nodeId());
    OperatorEndorsement endorsement = OperatorEndorsement.parseFrom(Files.readAllBytes(out));
    GenesisDocument doc = GenesisDocument.read(genesis);
    assertThat(Endorsements.verify(doc.operators(), doc.clusterId(), node.spki(), endorsement).getName()).isEqualTo("bob");

    Run wrong = run("operator", "endorse", "--key", dir.resolve("keys/alice.key").toString(), "--operator", "bob",
        "--genesis", genesis.toString(), "--node-identity", pem.toString(), "--out", out.toString());
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.err()).contains("not operator 'bob''s key");
  }
}
