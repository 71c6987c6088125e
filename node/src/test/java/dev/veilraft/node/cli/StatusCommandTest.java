package dev.veilraft.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** How 'status' renders a node's /v1/status: header facts, one row per member, what a follower cannot know. */
class StatusCommandTest {
  private static final String FOLLOWER_VIEW = """
      {"node_id": "bbbb", "applied_index": 41, "initialized": true, "cluster_id": "0123456789abcdef0123",
       "cluster_name": "prod", "epoch": 3, "policy": "p1", "leader": false, "leader_id": "aaaa",
       "raft_role": "FOLLOWER", "commit_index": 42, "diversity_satisfied": false,
       "raft_configuration": {"aaaa": "VOTER", "bbbb": "LISTENER"},
       "members": [
         {"node_id": "aaaa", "operator": "alice", "role": "VOTER", "platform": "SNP",
          "measurement": "7a1e5c266c0108dbc9bb94fa92695132", "api_address": "10.0.0.1:8443", "attested_at_ms": 1000},
         {"node_id": "bbbb", "operator": "bob", "role": "LISTENER", "platform": "TDX",
          "measurement": "ffff", "api_address": "10.0.0.2:8443", "attested_at_ms": 0, "commit_index": 42,
          "failure": "TCB_BELOW_MINIMUM: bl 2 < 3"}],
       "pending_removals": [{"node_id": "bbbb", "reason": "REATTESTATION_FAILED", "blocked": true}]}
      """;

  @Test
  void aFollowersViewShowsLeaderIndexesMembersAndUnknownLag() throws Exception {
    // Proves the header, leader mark, short measurements, attestation ages, '-' for unknown lag, where to ask, warnings.
    String text = StatusCommand.render(new ObjectMapper().readTree(FOLLOWER_VIEW), 3_601_000);

    assertThat(text).contains("cluster   prod (0123456789abcdef…)").contains("epoch     3   policy p1")
        .contains("leader    aaaa\n").contains("node      bbbb (FOLLOWER)").contains("index     commit 42   applied 41")
        .contains("diversity rule does not hold").contains("members   2 (* leader)")
        .containsPattern("aaaa\\*\\s+alice\\s+voter\\s+SNP\\s+7a1e5c266c0108db…\\s+\\?\\s+60m ago\\s+-\\s+10.0.0.1:8443")
        .containsPattern("bbbb\\s+bob\\s+listener\\s+TDX\\s+ffff\\s+\\?\\s+never\\s+-\\s+10.0.0.2:8443")
        .contains("hint      lag is known by the leader: veilraft status --url https://10.0.0.1:8443 --node-id aaaa")
        .contains("failure   bbbb: TCB_BELOW_MINIMUM").contains("removal   bbbb pending: REATTESTATION_FAILED (blocked");
  }

  @Test
  void theProtocolVersionsAndAHaltAreShown() throws Exception {
    // Proves the active protocol version, what the answering build applies, each member's advertised version and a halt reason are printed.
    String view = FOLLOWER_VIEW.replace("\"policy\": \"p1\",", "\"policy\": \"p1\", \"protocol_version\": 2, "
        + "\"build_protocol_version_max\": 1, \"halted\": \"at index 9: entry 9 needs protocol version 2\",")
        .replace("\"attested_at_ms\": 1000}", "\"attested_at_ms\": 1000, \"protocol_version_max\": 2}")
        .replace("\"attested_at_ms\": 0,", "\"attested_at_ms\": 0, \"protocol_version_max\": 1,");
    String text = StatusCommand.render(new ObjectMapper().readTree(view), 3_601_000);
    assertThat(text).contains("epoch     3   policy p1   protocol 2 (this node applies up to 1)\n")
        .contains("halted    at index 9: entry 9 needs protocol version 2\n")
        .containsPattern("NODE\\s+OPERATOR\\s+ROLE\\s+PLATFORM\\s+MEASUREMENT\\s+PROTO\\s+ATTESTED")
        .containsPattern("aaaa\\*\\s+alice\\s+voter\\s+SNP\\s+7a1e5c266c0108db…\\s+2\\s+60m ago")
        .containsPattern("bbbb\\s+bob\\s+listener\\s+TDX\\s+ffff\\s+1\\s+never");
  }

  @Test
  void controlCharactersFromTheNodeNeverReachTheTerminal() throws Exception {
    // Proves an ANSI escape, a carriage return and a Unicode line separator in a node's strings print as '?'.
    String text = StatusCommand.render(new ObjectMapper().readTree(FOLLOWER_VIEW.replace("\"prod\"",
        "\"prod\\u001b[2J\\r\\u2028x\"")), 3_601_000);
    assertThat(text).contains("cluster   prod?[2J??x (").doesNotContain("\u001b").doesNotContain("\r")
        .doesNotContain("\u2028");
  }

  @Test
  void aNodeNotYetInAClusterSaysSo() throws Exception {
    // Proves an uninitialized node's status is two lines, not a table of nothing.
    String text = StatusCommand.render(new ObjectMapper().readTree(
        "{\"node_id\": \"cccc\", \"applied_index\": 0, \"initialized\": false}"), 0);
    assertThat(text).isEqualTo("node      cccc (not a member of an initialized cluster yet)\napplied   0\n");
  }

  @Test
  void agesUseTheLargestSensibleUnit() {
    // Proves attestation ages read as seconds, minutes, hours or days, and clock skew never shows a negative age.
    assertThat(StatusCommand.age(-5)).isEqualTo("0s");
    assertThat(StatusCommand.age(119_000)).isEqualTo("119s");
    assertThat(StatusCommand.age(121_000)).isEqualTo("2m");
    assertThat(StatusCommand.age(3 * 3_600_000L)).isEqualTo("3h");
    assertThat(StatusCommand.age(3 * 86_400_000L)).isEqualTo("3d");
  }
}
