package dev.veilraft.simulator.check;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class RelayCheckerTest {
  private static final JsonNodeFactory J = JsonNodeFactory.instance;
  private final RelayChecker checker = new RelayChecker();

  private static String id(char c) {
    return String.valueOf(c).repeat(64);
  }

  private static ObjectNode summary(int kind, long createdAt) {
    return J.objectNode().put("kind", kind).put("pubkey", "ab".repeat(32)).put("created_at", createdAt);
  }

  private static ObjectNode served(char c, int kind, long createdAt) {
    return summary(kind, createdAt).put("id", id(c)).put("valid", true);
  }

  private static Histories publish(Histories h, int p, char c, int kind, long createdAt, boolean ok) {
    h.invoke(p, "publish", id(c), summary(kind, createdAt), p * 10L);
    return ok ? h.ok(p, "publish", id(c), J.objectNode(), p * 10L + 1)
        : h.fail(p, "publish", id(c), null, p * 10L + 1);
  }

  private static Histories finalReq(Histories h, int p, String node, ObjectNode... events) {
    ObjectNode result = J.objectNode();
    var array = result.putArray("events");
    for (ObjectNode e : events) {
      array.add(e);
    }
    return h.invokeOn(p, "final-req", node, J.objectNode(), 100 + p).okOn(p, "final-req", node, result, 101 + p);
  }

  @Test
  void acknowledgedEventsServedEverywherePass() {
    // Proves a history where both nodes serve the note and the newest metadata passes all three checks.
    Histories h = publish(publish(publish(new Histories(), 1, 'a', 1, 5, true), 2, 'b', 0, 5, true), 3, 'c', 0, 6, true);
    finalReq(h, 4, "n1", served('a', 1, 5), served('c', 0, 6));
    finalReq(h, 5, "n2", served('a', 1, 5), served('c', 0, 6));
    List<Verdict> v = checker.check(h.ops());
    assertThat(v).allSatisfy(verdict -> assertThat(verdict.passed()).as(verdict.detail()).isTrue());
  }

  @Test
  void aNodeMissingAnAcknowledgedNoteFails() {
    // Proves an event acknowledged OK true that one node does not serve after the heal fails durability.
    Histories h = publish(new Histories(), 1, 'a', 1, 5, true);
    finalReq(h, 4, "n1", served('a', 1, 5));
    finalReq(h, 5, "n2");
    Verdict v = checker.check(h.ops()).get(1);
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("n2 does not serve it");
  }

  @Test
  void anOlderReplaceableEventOrTwoOfThemFail() {
    // Proves a node keeping an older metadata event than one acknowledged, or two of them, fails.
    Histories h = publish(publish(new Histories(), 1, 'b', 0, 5, true), 2, 'c', 0, 6, true);
    finalReq(h, 4, "n1", served('b', 0, 5), served('c', 0, 6));
    List<Verdict> v = checker.check(h.ops());
    assertThat(v.get(2).passed()).isFalse();
    assertThat(v.get(2).detail()).contains("serves 2 kind-0 events");
    Histories stale = publish(publish(new Histories(), 1, 'b', 0, 5, true), 2, 'c', 0, 6, true);
    finalReq(stale, 4, "n1", served('b', 0, 5));
    assertThat(checker.check(stale.ops()).get(1).detail()).contains("serves neither it nor a newer one");
  }

  @Test
  void anEventNobodyPublishedOrABadSignatureFails() {
    // Proves the relay may serve only published events whose signature verifies.
    Histories h = publish(new Histories(), 1, 'a', 1, 5, true);
    finalReq(h, 4, "n1", served('a', 1, 5), served('z', 1, 5));
    assertThat(checker.check(h.ops()).get(0).detail()).contains("was never published");
    Histories bad = publish(new Histories(), 1, 'a', 1, 5, true);
    finalReq(bad, 4, "n1", served('a', 1, 5).put("valid", false).put("why", "signature does not verify"));
    assertThat(checker.check(bad.ops()).get(0).detail()).contains("does not verify");
  }
}
