package dev.veilraft.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EntryError;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.Governance;
import dev.veilraft.membership.GovernanceLedger;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MembershipSnapshot;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.ProposalStatus;
import dev.veilraft.node.api.ApiServer;
import dev.veilraft.node.api.GovernanceApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 'veilraft gov' against a real HTTPS GovernanceApi whose submit path applies the entry with
 * Governance directly (no Raft): propose, list, vote, offline signing, and key pinning.
 */
class GovCommandTest {
  private static final Pattern PROPOSAL_ID = Pattern.compile("proposal ([0-9a-f]{64})");

  @TempDir Path dir;
  private ApiServer server;
  private final Ledger ledger = new Ledger();
  private final AtomicLong index = new AtomicLong(100);
  private Path genesis;
  private Path nodeCert;
  private String url;
  private String nodeId;
  private volatile boolean unsupported;

  /** Test ledger over a sorted map. */
  private static final class Ledger implements GovernanceLedger {
    final TreeMap<String, ProposalRecord> records = new TreeMap<>();

    @Override
    public synchronized Optional<ProposalRecord> get(byte[] id) {
      return Optional.ofNullable(records.get(Hashes.hex(id)));
    }

    @Override
    public synchronized void put(ProposalRecord r) {
      records.put(Hashes.hex(r.getProposalId().toByteArray()), r);
    }

    @Override
    public synchronized List<ProposalRecord> open() {
      return records.values().stream().filter(r -> r.getStatus() == ProposalStatus.OPEN).toList();
    }
  }

  @BeforeEach
  void start() throws Exception {
    genesis = OperatorCommandTest.createGenesis(dir);
    OperatorCommandTest.run("genesis", "sign", "--key", dir.resolve("keys/alice.key").toString(), "--operator", "alice",
        genesis.toString());
    GenesisDocument doc = GenesisDocument.read(genesis);
    MembershipView view = MembershipView.of(MembershipSnapshot.newBuilder()
        .setGenesis(ByteString.copyFrom(doc.genesisBytes()))
        .addMembers(MemberRecord.newBuilder().setNodeId("n1")).build());
    NodeIdentity identity = NodeIdentity.generate(Instant.now());
    nodeId = identity.nodeId();
    nodeCert = Files.write(dir.resolve("node.der"), identity.certificateDer());
    GovernanceApi api = new GovernanceApi(p -> CompletableFuture.completedFuture(apply(view, p)),
        () -> List.copyOf(ledger.records.values()));
    server = new ApiServer("127.0.0.1", 0, identity);
    api.register(server);
    server.start();
    url = "https://127.0.0.1:" + server.port();
  }

  private synchronized ApplyResult apply(MembershipView view, Proposal p) {
    if (unsupported) {
      return ApplyResult.newBuilder().setError(EntryError.newBuilder().setCode("UNSUPPORTED_ENTRY")
          .setMessage("governance is not wired")).build();
    }
    try {
      long now = System.currentTimeMillis();
      Governance.Outcome o = p.hasGovProposal() ? Governance.propose(view, p.getGovProposal(), index.incrementAndGet(), now, ledger)
          : Governance.vote(view, p.getGovBallot(), index.incrementAndGet(), now, ledger);
      return ApplyResult.newBuilder().setMembership(o.result()).build();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private OperatorCommandTest.Run gov(String... args) {
    return OperatorCommandTest.run(args);
  }

  private String[] signer(String operator) {
    return new String[] {"--key", dir.resolve("keys/" + operator + ".key").toString(), "--operator", operator,
        "--genesis", genesis.toString()};
  }

  private String[] node() {
    return new String[] {"--node", url, "--node-cert", nodeCert.toString()};
  }

  private static String[] concat(String[]... parts) {
    return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
  }

  private static String idOf(String out) {
    Matcher m = PROPOSAL_ID.matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }

  @Test
  void aProposalIsListedAndAppliesWhenTheSecondOperatorApproves() {
    // Proves propose -> list -> vote over pinned HTTPS: alice's proposal is open until bob approves it.
    var proposed = gov(concat(new String[] {"gov", "propose"}, signer("alice"), node(),
        new String[] {"--rotate-key", "--summary", "quarterly rotation", "--expires", "2h"}));
    assertThat(proposed.exit()).as(proposed.err()).isZero();
    assertThat(proposed.out()).contains("ACCEPTED").contains("1 of 2 approvals");
    String id = idOf(proposed.out());

    var listed = gov(concat(new String[] {"gov", "list"}, node()));
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).contains(id + "  OPEN  rotate_key").contains("quarterly rotation").contains("[\"alice\"]");

    var voted = gov(concat(new String[] {"gov", "vote"}, signer("bob"), node(), new String[] {"--proposal", id, "--approve"}));
    assertThat(voted.exit()).as(voted.err()).isZero();
    assertThat(voted.out()).contains("approved by alice, bob");
    assertThat(ledger.records.get(id).getStatus()).isEqualTo(ProposalStatus.APPLIED);

    var again = gov(concat(new String[] {"gov", "vote"}, signer("bob"), node(), new String[] {"--proposal", id, "--reject"}));
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("PROPOSAL_CLOSED");
  }

  @Test
  void aRefusalIsExitOneWithTheCode() {
    // A proposal the cluster refuses (remove_node of a non-member) exits 1 naming the code.
    var refused = gov(concat(new String[] {"gov", "propose"}, signer("alice"), node(),
        new String[] {"--remove-node", "ffffffffffffffffffffffffffffffff"}));
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).startsWith("error: UNKNOWN_NODE");
    unsupported = true;
    var notWired = gov(concat(new String[] {"gov", "propose"}, signer("alice"), node(), new String[] {"--rotate-key"}));
    assertThat(notWired.exit()).isEqualTo(1);
    assertThat(notWired.err()).contains("UNSUPPORTED_ENTRY");
  }

  @Test
  void aProtocolVersionRaiseIsRefusedNamingTheMemberThatLacksIt() {
    // Proves 'gov propose --set-protocol-version' reaches governance, whose refusal names the member whose build is older.
    var refused = gov(concat(new String[] {"gov", "propose"}, signer("alice"), node(),
        new String[] {"--set-protocol-version", "2"}));
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.out()).contains("set_protocol_version 2");
    assertThat(refused.err()).startsWith("error: PROTOCOL_VERSION_UNSUPPORTED").contains("n1 (applies up to 1)");
    var down = gov(concat(new String[] {"gov", "propose"}, signer("alice"), node(),
        new String[] {"--set-protocol-version", "1"}));
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.err()).contains("--set-protocol-version is 1");
  }

  @Test
  void aRotationThroughANodeThatIsDownNamesWhatWentWrongNeverNull() throws Exception {
    // Proves a governance request whose node refuses the connection (as a killed leader does) exits 1 with a
    // message naming the URL and the failure; the JDK's ConnectException has no message, once printed as "null".
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    String down = "https://127.0.0.1:" + closedPort;
    var failed = gov(concat(new String[] {"gov", "propose"}, signer("alice"),
        new String[] {"--node", down, "--node-cert", nodeCert.toString(), "--rotate-key"}));
    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.err()).startsWith("error: " + down).contains("ConnectException").doesNotContain("null");
    assertThat(ledger.records).isEmpty();
  }

  @Test
  void everyExceptionIsDescribedByWhatWentWrong() {
    // Proves a message-less exception is named by its type and its first cause with a message, never "null".
    assertThat(ErrorMessages.describe(new java.net.ConnectException())).isEqualTo("ConnectException (no message)");
    Exception wrapped = new java.io.IOException(null, new java.net.ConnectException(null) {
      {
        initCause(new java.nio.channels.ClosedChannelException());
      }
    });
    assertThat(ErrorMessages.describe(wrapped)).contains("IOException", "ClosedChannelException").doesNotContain("null");
    assertThat(ErrorMessages.describe(new IllegalStateException("rotation refused: STALE_VIEW")))
        .isEqualTo("rotation refused: STALE_VIEW");
    assertThat(ErrorMessages.describe(new RuntimeException(new IllegalArgumentException("bad epoch"))))
        .isEqualTo("java.lang.IllegalArgumentException: bad epoch");
    assertThat(ErrorMessages.describe(null)).isEqualTo("unknown error");
  }

  @Test
  void signedOfflineThenSubmitted() throws Exception {
    // Proves --out writes a JSON signed message without contacting a node, and 'gov submit' delivers it.
    Path file = dir.resolve("proposal.json");
    var written = gov(concat(new String[] {"gov", "propose"}, signer("bob"),
        new String[] {"--rotate-key", "--out", file.toString()}));
    assertThat(written.exit()).as(written.err()).isZero();
    assertThat(Files.readString(file)).contains("\"body\"").contains("\"signature\"");
    assertThat(ledger.records).isEmpty();

    var submitted = gov(concat(new String[] {"gov", "submit"}, node(), new String[] {"--proposal-file", file.toString()}));
    assertThat(submitted.exit()).as(submitted.err()).isZero();
    assertThat(ledger.records).containsKey(idOf(written.out()));
  }

  @Test
  void theNodeMustBePinnedAndAnotherKeyIsRefused() {
    // Without a pin the CLI refuses to talk; a pin to another node id fails the TLS handshake; INSECURE warns.
    var unpinned = gov(concat(new String[] {"gov", "list", "--node", url}));
    assertThat(unpinned.exit()).isEqualTo(1);
    assertThat(unpinned.err()).contains("--node-cert").contains("--insecure-skip-verify");

    var wrongPin = gov("gov", "list", "--node", url, "--node-id", "00".repeat(16));
    assertThat(wrongPin.exit()).isEqualTo(1);
    assertThat(ledger.records).isEmpty();

    var pinnedById = gov("gov", "list", "--node", url, "--node-id", nodeId);
    assertThat(pinnedById.exit()).as(pinnedById.err()).isZero();

    var insecure = gov("gov", "list", "--node", url, "--insecure-skip-verify");
    assertThat(insecure.exit()).isZero();
    assertThat(insecure.err()).contains("not checked");
  }

  @Test
  void proposalsNeedExactlyOneAction() {
    // Zero or two actions are a usage error naming the choices.
    var none = gov(concat(new String[] {"gov", "propose"}, signer("alice"), node()));
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("exactly one action");
    var two = gov(concat(new String[] {"gov", "propose"}, signer("alice"), node(),
        new String[] {"--rotate-key", "--remove-node", "n1"}));
    assertThat(two.exit()).isEqualTo(1);
  }
}
