package dev.veilraft.node.apps;

import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.apps.cashu.CashuHttpApi;
import dev.veilraft.apps.cashu.CashuMintApp;
import dev.veilraft.apps.cashu.CashuMintSettings;
import dev.veilraft.apps.cashu.FakeLightningBackend;
import dev.veilraft.apps.cashu.LightningBackend;
import dev.veilraft.apps.nostr.NostrRelay;
import dev.veilraft.apps.nostr.NostrRelayApp;
import dev.veilraft.apps.nostr.RelayConnection;
import dev.veilraft.apps.nostr.RelaySettings;
import dev.veilraft.apps.nostr.RelaySink;
import dev.veilraft.consensus.AppEventListener;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.node.api.ApiServer;
import dev.veilraft.node.api.WebSockets;
import dev.veilraft.state.app.App;
import dev.veilraft.state.kv.KvApp;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster's apps and their public front ends on this node's API port: the Cashu mint at
 * {@value #CASHU_PREFIX} (a wallet's mint URL is {@code https://node/cashu}) and the Nostr relay's
 * WebSocket at {@value #NOSTR_PATH} (NIP-11 on a GET with {@code Accept: application/nostr+json}).
 * Both reach the replicated apps through {@link NodeAppGateway}; the relay also hears what the
 * group accepted through other nodes from the replica's committed-event listener.
 */
public final class AppFrontEnds implements AutoCloseable {
  public static final String CASHU_PREFIX = "/cashu";
  public static final String NOSTR_PATH = "/nostr";
  static final String NIP11_MEDIA_TYPE = "application/nostr+json";

  /**
   * The apps every replica runs, in this order. Part of the cluster's code: changing the list
   * changes the measurement and needs a governed upgrade.
   */
  public static List<App> apps() {
    return List.of(new KvApp(), new CashuMintApp(), new NostrRelayApp());
  }

  private final NostrRelay relay;
  private final CashuHttpApi mint;

  private AppFrontEnds(NostrRelay relay, CashuHttpApi mint) {
    this.relay = relay;
    this.mint = mint;
  }

  /** Builds the front ends of {@code node} and registers their routes on {@code api} (before it starts). */
  public static AppFrontEnds register(VeilraftNode node, ApiServer api) {
    NodeConfig config = node.config();
    NodeAppGateway gateway = new NodeAppGateway(node);
    // No Lightning node is wired yet: the FAKE backend marks every invoice it issued paid (it says so in the log).
    LightningBackend lightning = new FakeLightningBackend(node.clock());
    NodeConfig.AppInfo cashuInfo = config.cashuInfo();
    URI attestation = URI.create(publicBase(config, "https", "http") + "/v1/cluster");
    CashuMintSettings defaults = CashuMintSettings.of(orElse(cashuInfo.name(), "veilraft mint"), attestation);
    CashuMintSettings mintSettings = new CashuMintSettings(defaults.name(),
        orElse(cashuInfo.description(), defaults.description()), null,
        cashuInfo.contact() == null ? List.of() : List.of(new CashuMintSettings.Contact("email", cashuInfo.contact())),
        cashuInfo.motd(), attestation, node.clock());
    CashuHttpApi mint = new CashuHttpApi(gateway, lightning, mintSettings);

    NodeConfig.AppInfo nostrInfo = config.nostrInfo();
    String relayUrl = nostrInfo.url() != null ? nostrInfo.url() : publicBase(config, "wss", "ws") + NOSTR_PATH;
    NostrRelay relay = new NostrRelay(gateway, new RelaySettings(orElse(nostrInfo.name(), "veilraft relay"),
        orElse(nostrInfo.description(), "A Nostr relay run jointly by independent operators in attested TEEs (veilraft)"),
        "", orElse(nostrInfo.contact(), ""), relayUrl,
        RelaySettings.Limits.forClusterEventBytes(node.genesis().eventBytesMax())), node.clock());

    node.replica().addAppEventListener(new AppEventListener() {
      @Override
      public void committed(Committed event) {
        if (event.app().equals(NostrRelayApp.NAME)) {
          relay.committed(event.index(), event.request(), event.response());
        }
      }

      @Override
      public void installed(long index) {
        relay.installed(index);
      }
    });
    api.routePrefix(CASHU_PREFIX, request -> mint.handle(request.method(), request.path(), request.query(),
        request.body()));
    api.routeWebSocket(NOSTR_PATH, sink -> connection(relay.open(new RelaySink() {
      @Override
      public void send(String text) {
        sink.send(text);
      }

      @Override
      public void close(int code, String reason) {
        sink.close(code, reason);
      }
    })));
    api.routePrefix(NOSTR_PATH, request -> CompletableFuture.completedFuture(nostrHttp(relay, request)));
    return new AppFrontEnds(relay, mint);
  }

  private static WebSockets.Connection connection(RelayConnection connection) {
    return new WebSockets.Connection() {
      @Override
      public void onText(String text) {
        connection.onText(text);
      }

      @Override
      public void onClose() {
        connection.onClose();
      }
    };
  }

  /** NIP-11 for clients that ask for it; a short pointer to the WebSocket for everyone else. */
  private static HttpAnswer nostrHttp(NostrRelay relay, ApiServer.AppRequest request) {
    if (!request.path().equals("/") || !("GET".equals(request.method()) || "HEAD".equals(request.method()))) {
      return HttpAnswer.json(404, "{\"error\":\"the relay answers GET " + NOSTR_PATH + " (NIP-11) and WebSocket "
          + "upgrades on " + NOSTR_PATH + "\"}");
    }
    if (request.accept() != null && request.accept().contains(NIP11_MEDIA_TYPE)) {
      return new HttpAnswer(200, NIP11_MEDIA_TYPE, relay.informationDocument());
    }
    return new HttpAnswer(200, "text/plain; charset=utf-8", ("This is a Nostr relay: connect with a WebSocket, or "
        + "ask with 'Accept: " + NIP11_MEDIA_TYPE + "' for its NIP-11 document.\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Where clients reach this node: the plain HTTP address on loopback when configured (local
   * clusters), otherwise the HTTPS API address.
   */
  private static String publicBase(NodeConfig config, String secureScheme, String plainScheme) {
    NodeConfig.Endpoint plain = config.insecurePlainHttp();
    if (plain != null && plain.port() != 0) {
      return plainScheme + "://" + plain.host() + ":" + plain.port();
    }
    return secureScheme + "://" + config.api().host() + ":" + config.api().port();
  }

  private static String orElse(String value, String otherwise) {
    return value == null || value.isBlank() ? otherwise : value;
  }

  @Override
  public void close() {
    relay.close();
  }
}
