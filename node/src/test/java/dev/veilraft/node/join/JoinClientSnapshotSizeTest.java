package dev.veilraft.node.join;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** How a joiner learns the size of the snapshot it receives from a member's /v1/status, and when it stops trusting it. */
class JoinClientSnapshotSizeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void asksTheLeaderWhenThePeerIsAFollower() throws Exception {
    // Proves the size is asked of the leader (the sender) found in the peer's member list, and of the peer when it leads.
    var follower = JSON.readTree("""
        {"leader": false, "leader_id": "bb", "latest_snapshot_bytes": 10,
         "members": [{"node_id": "aa", "api_address": "10.0.0.1:8001"}, {"node_id": "bb", "api_address": "10.0.0.2:8001"}]}""");
    assertThat(JoinClient.leaderApi(follower)).contains(URI.create("https://10.0.0.2:8001"));
    var leader = JSON.readTree("""
        {"leader": true, "leader_id": "aa", "members": [{"node_id": "aa", "api_address": "10.0.0.1:8001"}]}""");
    assertThat(JoinClient.leaderApi(leader)).isEmpty();
    assertThat(JoinClient.leaderApi(JSON.readTree("{\"leader\": false}"))).isEmpty();
    assertThat(JoinClient.leaderApi(JSON.readTree("{\"leader_id\": \"cc\", \"members\": []}"))).isEmpty();
  }

  @Test
  void anExceededOrUnknownSizeIsShownAsUnknown() {
    // Proves percent is never made up: a size that the received bytes already exceed (a newer snapshot) counts as unknown.
    assertThat(JoinClient.snapshotTotal(400, 1000)).isEqualTo(1000);
    assertThat(JoinClient.snapshotTotal(1000, 1000)).isEqualTo(1000);
    assertThat(JoinClient.snapshotTotal(1001, 1000)).isZero();
    assertThat(JoinClient.snapshotTotal(5, 0)).isZero();
  }
}
