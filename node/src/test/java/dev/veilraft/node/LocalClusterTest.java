package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.membership.Endorsements;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.proto.DiversityAction;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LocalCluster's genesis: fully signed by operators whose keys live under the cluster root. */
class LocalClusterTest {
  private static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("local cluster test"));

  @Test
  void theDefaultLayoutHasOneLocalOperatorThatSignedAndCanEndorse(@TempDir Path root) throws Exception {
    // Proves create() writes a fully signed genesis of operator 'local' (diversity off), stable across re-creation.
    LocalCluster.Layout layout = LocalCluster.create(root, 1, MEASUREMENT);
    GenesisDocument onDisk = GenesisDocument.read(layout.genesisFile());

    assertThat(onDisk.fullySigned()).isTrue();
    assertThat(onDisk.operators()).extracting(o -> o.getName()).containsExactly(LocalCluster.LOCAL_OPERATOR);
    assertThat(onDisk.diversity()).isEqualTo(DiversityAction.DIVERSITY_OFF);
    assertThat(layout.operatorKey(LocalCluster.LOCAL_OPERATOR)).exists();
    NodeIdentity node = NodeIdentity.generate(Instant.now());
    var endorsement = layout.endorse(LocalCluster.LOCAL_OPERATOR, node.spki());
    assertThat(Endorsements.verify(onDisk.operators(), onDisk.clusterId(), node.spki(), endorsement).getName())
        .isEqualTo(LocalCluster.LOCAL_OPERATOR);

    LocalCluster.Layout again = LocalCluster.create(root, 1, MEASUREMENT);
    assertThat(again.genesis().clusterId()).as("same root, same operator key, same cluster").isEqualTo(onDisk.clusterId());
  }

  @Test
  void severalOperatorsEachSign(@TempDir Path root) throws Exception {
    // Proves the operator overload creates one key per operator and every one signs the genesis.
    LocalCluster.Layout layout = LocalCluster.create(root, 1, MEASUREMENT, List.of("alice", "bob", "carol"), 2,
        g -> g.setRules(g.getRules().toBuilder().setDiversity(DiversityAction.DIVERSITY_REFUSE)));
    GenesisDocument g = GenesisDocument.read(layout.genesisFile());
    assertThat(g.fullySigned()).isTrue();
    assertThat(g.governanceThreshold()).isEqualTo(2);
    assertThat(g.signatures()).hasSize(3);
    assertThat(g.diversity()).isEqualTo(DiversityAction.DIVERSITY_REFUSE);
  }

  @Test
  void theDirectorylessHelpersSignWithAThrowawayOperator() throws Exception {
    // genesis(name, policy) is fully signed, by a key nobody keeps: valid, never governable.
    GenesisDocument g = LocalCluster.genesis("hw", dev.veilraft.crypto.proto.Policy.newBuilder().setName("p")
        .addAllowedMeasurements(com.google.protobuf.ByteString.copyFrom(MEASUREMENT)).build());
    assertThat(g.fullySigned()).isTrue();
    assertThat(g.governanceThreshold()).isEqualTo(1);
  }

  @Test
  void parallelTestJvmsGetDisjointPortSlicesAndABadSliceIsRefusedByName() {
    // Proves the port-slice hook splits the range into disjoint slices that cover it, and names a bad value.
    assertThat(LocalCluster.portSlice(null)).containsExactly(LocalCluster.LISTEN_PORT_MIN, LocalCluster.LISTEN_PORT_MAX);
    int[] first = LocalCluster.portSlice("1/2");
    int[] second = LocalCluster.portSlice("2/2");
    assertThat(first[0]).isEqualTo(LocalCluster.LISTEN_PORT_MIN);
    assertThat(first[1]).isEqualTo(second[0]);
    assertThat(second[1]).isLessThanOrEqualTo(LocalCluster.LISTEN_PORT_MAX);
    for (String bad : List.of("0/2", "3/2", "1/0", "two", "1/100")) {
      assertThatThrownBy(() -> LocalCluster.portSlice(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(LocalCluster.PORT_SLICE_PROPERTY).hasMessageContaining("'" + bad + "'");
    }
  }
}
