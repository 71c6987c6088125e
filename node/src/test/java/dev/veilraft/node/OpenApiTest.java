package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.node.api.ApiServer;
import dev.veilraft.node.api.GovernanceApi;
import dev.veilraft.node.apps.AppFrontEnds;
import dev.veilraft.node.join.JoinService;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The OpenAPI description and the routes the node registers never drift apart. */
class OpenApiTest {
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  /** Every "METHOD /path" the OpenAPI document describes. */
  static SortedSet<String> describedRoutes() throws Exception {
    JsonNode doc = document();
    SortedSet<String> described = new TreeSet<>();
    for (Iterator<String> paths = doc.get("paths").fieldNames(); paths.hasNext(); ) {
      String path = paths.next();
      for (Iterator<String> ops = doc.get("paths").get(path).fieldNames(); ops.hasNext(); ) {
        String op = ops.next();
        if (METHODS.contains(op)) {
          described.add(op.toUpperCase(Locale.ROOT) + " " + path);
        }
      }
    }
    return described;
  }

  static JsonNode document() throws Exception {
    return new ObjectMapper(new YAMLFactory()).readTree(OpenApi.document());
  }

  static SortedSet<String> listed(String extension, String field) throws Exception {
    SortedSet<String> out = new TreeSet<>();
    document().get(extension).forEach(n -> out.add(n.get(field).asText()));
    return out;
  }

  @Test
  void everyRegisteredRouteIsDescribedAndEveryDescribedRouteIsRegistered() throws Exception {
    // Proves the document lists exactly the routes of the cluster, join and governance APIs (no drift either way).
    ApiServer api = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()));
    try {
      new ClusterApi(null).register(api);
      new JoinService(null).register(api);
      new GovernanceApi(proposal -> new CompletableFuture<>(), List::of).register(api);

      assertThat(describedRoutes()).isEqualTo(api.routes());
    } finally {
      api.close();
    }
  }

  @Test
  void theAppProtocolsAreListedUnderTheirPrefixes() throws Exception {
    // Proves the apps' prefixes and WebSocket paths in the document are the ones the front ends mount.
    assertThat(listed("x-veilraft-app-prefixes", "prefix")).containsExactlyInAnyOrder(AppFrontEnds.CASHU_PREFIX,
        AppFrontEnds.NOSTR_PATH);
    assertThat(listed("x-veilraft-websockets", "path")).containsExactly(AppFrontEnds.NOSTR_PATH);
  }

  @Test
  void theDocumentIsOpenApi31WithAnOperationIdPerOperation() throws Exception {
    // Proves the served bytes parse as an OpenAPI 3.1 document whose operations all have ids and responses.
    JsonNode doc = document();
    assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
    Set<String> ids = new TreeSet<>();
    doc.get("paths").forEach(path -> path.fields().forEachRemaining(op -> {
      if (METHODS.contains(op.getKey())) {
        assertThat(op.getValue().has("responses")).as(op.getKey()).isTrue();
        assertThat(ids.add(op.getValue().get("operationId").asText())).as("unique operationId").isTrue();
      }
    }));
    assertThat(ids).hasSize(describedRoutes().size());
  }
}
