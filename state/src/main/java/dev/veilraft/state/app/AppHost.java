package dev.veilraft.state.app;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateStore;
import dev.veilraft.state.StateTransaction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Runs a cluster's apps: routes each opened event to its app inside the app's namespace, with
 * exactly-once sessions around it, and turns every outcome into an {@link EventResult}. A
 * refusal or a failing app leaves no writes; a failing store propagates (the replica halts).
 * The apps and their order are part of the cluster's code: every replica must run the same ones.
 */
public final class AppHost {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");
  private static final String NAMESPACE_PREFIX = "app/";

  private final Map<String, App> apps = new LinkedHashMap<>();

  public AppHost(List<App> apps) {
    Check.argument(!apps.isEmpty(), "an app host needs at least one app");
    for (App app : apps) {
      Check.argument(NAME.matcher(app.name()).matches(), "app name must be 1..32 characters of [a-z0-9-] starting "
          + "with a letter, got '" + Check.printable(app.name()) + "'");
      Check.argument(this.apps.putIfAbsent(app.name(), app) == null, "two apps are named '" + app.name() + "'");
    }
  }

  /** The namespace an app's records live in. */
  public static String namespace(String appName) {
    return NAMESPACE_PREFIX + appName;
  }

  public List<String> names() {
    return new ArrayList<>(apps.keySet());
  }

  /**
   * Applies one opened event in the entry's transaction.
   *
   * @throws StateException the store failed: local corruption, the replica must halt
   */
  public EventResult apply(StateTransaction tx, Event event, AppContext context) throws StateException {
    return apply(tx, event, context, ClientSessions.PENDING_PER_CLIENT_MAX);
  }

  /**
   * Applies one opened event; a client may have at most {@code pendingPerClientMax} applied but
   * unacknowledged requests (the cluster's limits.pending_per_client_max).
   *
   * @throws StateException the store failed: local corruption, the replica must halt
   */
  public EventResult apply(StateTransaction tx, Event event, AppContext context, int pendingPerClientMax)
      throws StateException {
    App app = apps.get(event.getApp());
    if (app == null) {
      return rejected("unknown app '" + Check.printable(event.getApp()) + "'; this cluster runs: " + names());
    }
    if (event.getClientId().isEmpty()) {
      return run(tx, app, event.getRequest(), context);
    }
    byte[] clientId = event.getClientId().toByteArray();
    ClientSessions.Decision decision = ClientSessions.admit(tx, clientId, event.getSequence(),
        event.getAcknowledged(), context.leaderTimeMs(), pendingPerClientMax);
    if (decision instanceof ClientSessions.Replay replay) {
      return replay.result();
    }
    if (decision instanceof ClientSessions.Refuse refuse) {
      return rejected(refuse.reason());
    }
    EventResult result = run(tx, app, event.getRequest(), context);
    ClientSessions.record(tx, clientId, event.getSequence(), (ClientSessions.Apply) decision, result,
        context.leaderTimeMs());
    return result;
  }

  /** Answers a read-only query from committed state, from an ordinary client. */
  public EventResult query(StateStore store, String appName, byte[] request) throws StateException {
    return query(store, appName, request, false);
  }

  /** Answers a read-only query from committed state; {@code fromMember}: a member's front end sent it. */
  public EventResult query(StateStore store, String appName, byte[] request, boolean fromMember) throws StateException {
    App app = apps.get(appName);
    if (app == null) {
      return rejected("unknown app '" + Check.printable(appName) + "'; this cluster runs: " + names());
    }
    try {
      return ok(app.query(new StoreAppReader(store, namespace(app.name())), request, fromMember));
    } catch (AppException e) {
      return rejected(e.getMessage());
    } catch (RuntimeException e) {
      return rejected("app '" + app.name() + "' failed on this query: " + e.getClass().getName());
    }
  }

  private static EventResult run(StateTransaction tx, App app, ByteString request, AppContext context)
      throws StateException {
    OverlayAppState state = new OverlayAppState(tx, namespace(app.name()));
    try {
      byte[] response = app.apply(context, state, request.toByteArray());
      state.flush();
      return ok(response);
    } catch (AppException e) {
      return rejected(e.getMessage());
    } catch (RuntimeException e) {
      // The result is recorded in the replicated session state, so it names only the exception
      // class: a message may carry something replica-specific (an identity hash, a path).
      return rejected("app '" + app.name() + "' failed on this request: " + e.getClass().getName());
    }
  }

  private static EventResult ok(byte[] response) {
    return EventResult.newBuilder().setStatus(EventResult.Status.OK)
        .setResponse(ByteString.copyFrom(response == null ? new byte[0] : response)).build();
  }

  private static EventResult rejected(String message) {
    return EventResult.newBuilder().setStatus(EventResult.Status.REJECTED).setError(message).build();
  }
}
