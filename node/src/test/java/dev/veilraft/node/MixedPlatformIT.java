package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.SimulatedTdxAttester;
import dev.veilraft.crypto.attestation.SimulatedTdxMachine;
import dev.veilraft.crypto.attestation.SimulatedTdxVendor;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.PlatformValues;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MembershipRules;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import dev.veilraft.state.proto.KvResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One group, two platforms: members with simulated SEV-SNP reports and members with simulated
 * TDX quotes, each judged by its own platform's reference values in one policy, share the key,
 * re-attest, follow scheduled key rotations and serve clients. A TDX node whose measurement the
 * TDX entry does not list is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MixedPlatformIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Scheduled key rotation, short so the test sees it happen. */
  private static final long ROTATION_INTERVAL_MS = 3_000;

  @TempDir
  static Path root;

  private LocalCluster.Layout layout;
  private final List<VeilraftNode> nodes = new ArrayList<>();

  @BeforeAll
  void startCluster() throws Exception {
    byte[] snpMeasurement = CodeMeasurement.ofRunningCode(VeilraftNode.class);
    byte[] tdxMeasurement = SimulatedTdxAttester.measurementOfCode(snpMeasurement);
    SimulatedTdxVendor tdxVendor = SimulatedTdxVendor.openOrCreate(root.resolve("sim-vendor"));
    layout = TestClusters.create(root, 4, snpMeasurement, List.of(LocalCluster.LOCAL_OPERATOR), 1, g -> {
      Policy policy = g.getPolicy().toBuilder()
          .setSimulatedTdxRootSha256(ByteString.copyFrom(tdxVendor.rootSha256()))
          .addPlatformValues(PlatformValues.newBuilder().setPlatform(Platform.SIMULATED_SNP)
              .addAllowedMeasurements(ByteString.copyFrom(snpMeasurement)))
          .addPlatformValues(PlatformValues.newBuilder().setPlatform(Platform.SIMULATED_TDX)
              .addAllowedMeasurements(ByteString.copyFrom(tdxMeasurement)))
          .build();
      // Beacons every second, but a grace long enough that a member slowed by a loaded machine is not evicted.
      return g.setPolicy(policy).setRules(g.getRules().toBuilder().setReattestIntervalMs(1_000).setReattestGraceMs(60_000)
          .setRotationIntervalMs(ROTATION_INTERVAL_MS));
    });
    nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC()));
    nodes.add(VeilraftNode.join(tdx(1), layout.api(0), Clock.systemUTC(), null));
    nodes.add(VeilraftNode.join(tdx(2), layout.api(1), Clock.systemUTC(), null));
  }

  @AfterAll
  void stopCluster() {
    nodes.forEach(VeilraftNode::close);
  }

  /** Configuration {@code index} of the layout with the simulated TDX format. */
  private NodeConfig tdx(int index) {
    NodeConfig c = layout.nodes().get(index);
    return new NodeConfig(c.dataDir(), c.genesis(), c.raft(), c.api(), c.platform(),
        new NodeConfig.Simulated(c.simulated().vendorDir(), NodeConfig.Simulated.FORMAT_TDX),
        c.electionTimeoutMinMs(), c.electionTimeoutMaxMs(), c.snapshotThresholdEntries(), c.endorsement());
  }

  @Test
  void snpAndTdxMembersShareOneGroupAndServeClients() throws Exception {
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() >= 3, WAIT)).isTrue();
    }
    List<Platform> platforms = nodes.get(0).replica().view().members().values().stream()
        .map(MemberRecord::getPlatform).sorted().toList();
    assertThat(platforms).containsExactly(Platform.SIMULATED_SNP, Platform.SIMULATED_TDX, Platform.SIMULATED_TDX);
    assertThat(nodes.get(0).consensus().votingMembers()).hasSize(3);

    // A client verifies both kinds of evidence against its policy and writes through a TDX member.
    VeilraftClient client = layout.connect(1);
    client.call(KvApp.NAME, KvRequests.put("mixed", "platforms").toByteArray());
    KvResponse read = KvResponse.parseFrom(client.query(KvApp.NAME, KvRequests.get("mixed").toByteArray()));
    assertThat(read.getValue().toStringUtf8()).isEqualTo("platforms");

    // The key rotates on schedule, with no membership change, and every member follows.
    long epoch = nodes.get(0).replica().view().epoch();
    assertThat(Await.until(() -> nodes.stream().allMatch(n -> n.replica().view().epoch() > epoch), WAIT))
        .as("scheduled rotation after epoch %d", epoch).isTrue();

    // Every member, whatever its platform, answers the beacons.
    long beacon = nodes.get(0).replica().view().beacon().getSequence();
    assertThat(Await.until(() -> nodes.get(0).replica().view().members().values().stream()
        .allMatch(m -> m.getAttestedBeacon() > beacon), WAIT)).isTrue();
  }

  @Test
  void tdxNodeWithAMeasurementOnlyTheSnpEntryListsIsRefused() throws Exception {
    // The SNP measurement is allowed for SNP members only: per-platform values do not mix.
    NodeConfig rogue = tdx(3);
    SimulatedTdxMachine machine = SimulatedTdxMachine.openOrCreate(rogue.dataDir().resolve("simulated-tdx"),
        SimulatedTdxVendor.openOrCreate(layout.vendorDir()));
    byte[] wrong = new byte[240];
    System.arraycopy(Hashes.sha384(Hashes.utf8("not the released code")), 0, wrong, 0, 48);
    assertThatThrownBy(() -> VeilraftNode.join(rogue, layout.api(0), Clock.systemUTC(),
        SimulatedTdxAttester.create(machine, wrong)))
        .isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo("MEASUREMENT_NOT_ALLOWED"));
  }
}
