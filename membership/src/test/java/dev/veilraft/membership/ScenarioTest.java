package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.membership.ScenarioReplica.Applied;
import dev.veilraft.membership.ScenarioReplica.Entry;
import dev.veilraft.membership.ScenarioReplica.Result;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.ProposalRecord;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the membership rules do what every scenario file in {@code src/test/resources/scenarios}
 * says (one test per file), and that they are deterministic: the log a scenario committed, applied
 * again from an empty view by a second replica, gives the same results and the same view byte for
 * byte, and the scenario run again from scratch (new keys, new chips) ends in the same state.
 *
 * <p>{@code -Dveilraft.scenario=NAME} runs one file; {@code -Dveilraft.scenarios.pending=true}
 * also runs the {@code *.scenario.pending} files, which show known bugs and fail until they are fixed.
 */
class ScenarioTest {
  private static final String SUFFIX = ".scenario";
  private static final String PENDING_SUFFIX = ".scenario.pending";

  @TempDir static Path dir;
  private static SimulatedMembers sim;

  @BeforeAll
  static void createVendor() throws IOException {
    // The simulated vendor's RSA-4096 keys take about a second: one vendor for every scenario.
    sim = SimulatedMembers.create(dir);
  }

  @TestFactory
  Stream<DynamicTest> scenarios() throws IOException {
    return scenarioFiles().stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), file.toUri(),
        () -> run(file)));
  }

  @TestFactory
  Stream<DynamicTest> determinism() throws IOException {
    return scenarioFiles().stream().map(file -> DynamicTest.dynamicTest(file.getFileName() + " is deterministic",
        file.toUri(), () -> {
          ScenarioDriver first = run(file);
          replayFromScratch(first);
          ScenarioDriver second = run(file);
          assertThat(summary(second)).as("%s run again from scratch (new keys and chips)", file.getFileName())
              .isEqualTo(summary(first));
        }));
  }

  /** A second replica applies the committed log from an empty view: every result and the final state match. */
  private static void replayFromScratch(ScenarioDriver driver) throws Exception {
    ScenarioReplica replica = new ScenarioReplica(driver.clusterId(), new AttestationVerifier());
    List<Result> results = new ArrayList<>();
    for (Entry entry : driver.log()) {
      Applied applied = replica.apply(entry);
      results.add(applied.result());
    }
    assertThat(results).as("results of the replayed log").isEqualTo(driver.results());
    assertThat(replica.view().toSnapshot()).as("view after the replayed log")
        .isEqualTo(driver.replica().view().toSnapshot());
    assertThat(replica.records()).as("proposal records after the replayed log").isEqualTo(driver.replica().records());
  }

  private static ScenarioDriver run(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    assertThat(lines).as("%s: the first line says, as a # comment, what the scenario proves", file.getFileName())
        .isNotEmpty().first().asString().startsWith("# ");
    return new ScenarioDriver(file.getFileName().toString(), sim, new AttestationVerifier()).run(lines);
  }

  private static List<Path> scenarioFiles() throws IOException {
    URL url = ScenarioTest.class.getResource("/scenarios");
    assertThat(url).as("scenarios on the test class path").isNotNull();
    Path scenarios;
    try {
      scenarios = Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    boolean pending = Boolean.getBoolean("veilraft.scenarios.pending");
    String only = System.getProperty("veilraft.scenario", "");
    try (Stream<Path> files = Files.list(scenarios)) {
      List<Path> selected = files.filter(p -> {
        String name = p.getFileName().toString();
        return name.endsWith(SUFFIX) || (pending && name.endsWith(PENDING_SUFFIX));
      }).filter(p -> only.isEmpty() || p.getFileName().toString().equals(only)
          || p.getFileName().toString().equals(only + SUFFIX)).sorted().toList();
      assertThat(selected).as("scenario files in %s matching '%s'", scenarios, only).isNotEmpty();
      return selected;
    }
  }

  /**
   * The end state in scenario names (node ids, keys and signatures differ between runs): members
   * with role, operator, code and re-attestation state, pending and removed nodes, the governed
   * settings, every proposal, and the code of every result.
   */
  static String summary(ScenarioDriver d) {
    StringBuilder s = new StringBuilder();
    for (Result r : d.results()) {
      s.append(r.kind()).append(' ').append(r.accepted()).append(' ').append(r.code()).append('\n');
    }
    MembershipView v = d.view();
    if (!v.initialized()) {
      return s.append("not initialized\n").toString();
    }
    long t0 = SimulatedMembers.T0;
    s.append("epoch ").append(v.epoch()).append(", beacon ").append(v.beacon().getSequence()).append(", rotation ")
        .append(v.rotationRequested()).append(", time ").append(v.lastLeaderTimeMs() - t0).append('\n');
    v.members().values().stream().sorted(Comparator.comparing(m -> d.cast().nameOf(m.getNodeId()))).forEach(m ->
        s.append(member(d, v, m)).append('\n'));
    s.append("removed ").append(v.toSnapshot().getRemovedNodeIdsList().stream().map(d.cast()::nameOf).sorted().toList())
        .append('\n');
    s.append("operators ").append(v.operators().stream().map(Operator::getName).toList()).append(" threshold ")
        .append(v.governanceThreshold()).append('\n');
    s.append("policy ").append(v.policy().getAllowedMeasurementsList().stream()
        .map(m -> d.cast().measurementName(m.toByteArray())).toList()).append('\n');
    for (Map.Entry<String, dev.veilraft.membership.proto.SignedGov> p : d.proposals().entrySet()) {
      byte[] id = GovernanceMessages.proposalId(p.getValue());
      ProposalRecord r = d.replica().records().stream()
          .filter(x -> java.util.Arrays.equals(x.getProposalId().toByteArray(), id)).findFirst().orElse(null);
      s.append("proposal ").append(p.getKey()).append(' ').append(r == null ? "unrecorded"
          : r.getStatus() + " " + r.getApprovalsList() + " " + r.getRejectionsList()).append('\n');
    }
    return s.toString();
  }

  private static String member(ScenarioDriver d, MembershipView v, MemberRecord m) {
    long t0 = SimulatedMembers.T0;
    return d.cast().nameOf(m.getNodeId()) + " " + m.getOperator() + " " + m.getRole() + " "
        + d.cast().measurementName(m.getMeasurement().toByteArray()) + " admitted@" + (m.getAdmittedAtMs() - t0)
        + " attested " + m.getAttestedBeacon() + "@" + (m.getAttestedAtMs() - t0)
        + " evict_after " + (m.getEvictAfterMs() == 0 ? "-" : m.getEvictAfterMs() - t0)
        + " failure '" + m.getFailureCode() + "'"
        + v.pendingRemoval(m.getNodeId()).map(p -> " pending " + p.getReason() + "@" + (p.getSinceMs() - t0))
            .orElse("");
  }
}
