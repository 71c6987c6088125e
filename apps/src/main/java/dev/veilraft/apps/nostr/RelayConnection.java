package dev.veilraft.apps.nostr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.apps.AppGateway;
import dev.veilraft.apps.AppRejectedException;
import dev.veilraft.crypto.Check;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection to the relay: reads its NIP-01/NIP-42 messages and answers them. Created
 * by {@link NostrRelay#open}; the transport calls {@link #onText} for each text frame, one at a
 * time, and {@link #onClose} once when the connection ends.
 *
 * <p>A REQ registers its live subscription before it asks the replica for stored events, so no
 * event committed meanwhile falls in between: live events that arrive while the stored ones load
 * are held (bounded), then sent after EOSE unless the stored answer covered them. The answer
 * says where in the log it was read ({@link AppGateway.QueryAnswer}): events up to its {@code
 * readFrom} it surely had, events after its {@code readThrough} it surely had not, and those between
 * are looked up among the ids it sent. The same rule keeps events the fan-out delivers late,
 * after EOSE, from reaching the subscription a second time ({@link RelaySubscription#isNew}).
 */
public final class RelayConnection {
  private static final Logger log = LoggerFactory.getLogger(RelayConnection.class);
  private final NostrRelay relay;
  private final RelaySettings.Limits limits;
  private final Outbox outbox;
  private final String challenge;
  private final Set<String> authenticated = new LinkedHashSet<>();
  private final Map<String, RelaySubscription> subscriptions = new LinkedHashMap<>();
  private int publishesInFlight;
  private int queriesInFlight;
  private boolean closed;

  RelayConnection(NostrRelay relay, RelaySink sink, String challenge) {
    this.relay = relay;
    this.limits = relay.settings().limits();
    this.challenge = challenge;
    this.outbox = new Outbox(sink, relay.senders(), limits.outboxMessagesMax(), limits.outboxCharsMax(),
        this::closedByRelay);
  }

  /** Sends the NIP-42 challenge; the relay calls it once the connection is registered. */
  void greet() {
    send(RelayMessages.auth(challenge));
  }

  /** The NIP-42 challenge of this connection. */
  public String challenge() {
    return challenge;
  }

  /** Handles one client message. Never throws: every problem is answered with NOTICE, OK or CLOSED. */
  public void onText(String message) {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    try {
      handle(message);
    } catch (RuntimeException e) {
      // A bug, not the client's fault: logged by class and place only, as its message may quote plaintext.
      log.error("nostr relay failed on a client message: {} at {}", e.getClass().getName(),
          e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?");
      notice("error: the relay failed on this message");
    }
  }

  private void handle(String message) {
    long bytes = NostrJson.utf8Bytes(message, limits.messageBytesMax());
    if (bytes > limits.messageBytesMax()) {
      notice("invalid: message is over max_message_length " + limits.messageBytesMax() + " bytes");
      return;
    }
    JsonNode node;
    try {
      node = NostrJson.read(message);
    } catch (NostrJson.NostrJsonException e) {
      notice("invalid: " + e.getMessage());
      return;
    }
    if (!node.isArray() || node.isEmpty() || !node.get(0).isTextual()) {
      notice("invalid: a message is a JSON array whose first element is its type: EVENT, REQ, CLOSE or AUTH");
      return;
    }
    switch (node.get(0).textValue()) {
      case "EVENT" -> onEvent(node);
      case "REQ" -> onReq(node);
      case "CLOSE" -> onCloseMessage(node);
      case "AUTH" -> onAuth(node);
      case "COUNT" -> {
        if (node.size() >= 2 && node.get(1).isTextual()) {
          send(RelayMessages.closed(node.get(1).textValue(), "unsupported: COUNT (NIP-45) is not supported"));
        } else {
          notice("unsupported: COUNT (NIP-45) is not supported");
        }
      }
      default -> notice("invalid: unknown message type '" + Check.printable(node.get(0).textValue())
          + "'; this relay reads EVENT, REQ, CLOSE and AUTH");
    }
  }

  /** The transport closed the connection. */
  public void onClose() {
    outbox.discard();
    closedByRelay();
  }

  private void closedByRelay() {
    synchronized (this) {
      closed = true;
      subscriptions.clear();
    }
    relay.forget(this);
  }

  /** Closes the connection from the relay's side. */
  void close(int code, String reason) {
    outbox.close(code, reason);
  }

  private void onEvent(JsonNode node) {
    if (node.size() != 2) {
      notice("invalid: EVENT message must be [\"EVENT\",<event>]");
      return;
    }
    NostrEvent event = readSignedEvent(node.get(1));
    if (event == null) {
      return;
    }
    if (event.kind() == EventKinds.CLIENT_AUTH) {
      send(RelayMessages.ok(event.id(), false, "invalid: kind 22242 is sent with AUTH, not EVENT (NIP-42)"));
      return;
    }
    long nowSeconds = Math.floorDiv(relay.clock().millis(), 1000);
    if (event.createdAt() > nowSeconds + NostrLimits.createdAtFutureSecondsMax) {
      send(RelayMessages.ok(event.id(), false, "invalid: created_at " + event.createdAt() + " is more than "
          + NostrLimits.createdAtFutureSecondsMax + " s ahead of the relay's time " + nowSeconds));
      return;
    }
    synchronized (this) {
      if (publishesInFlight >= limits.publishesInFlightPerConnectionMax()) {
        send(RelayMessages.ok(event.id(), false, "rate-limited: " + publishesInFlight
            + " events of this connection are still being committed; wait for their OK"));
        return;
      }
      publishesInFlight++;
    }
    relay.submit(RelayWire.publish(event.toJson())).whenComplete((response, failure) -> {
      synchronized (this) {
        publishesInFlight--;
      }
      if (failure != null) {
        // Unconfirmed, not refused: the entry may have committed; a resent event of the same id is a duplicate.
        send(RelayMessages.ok(event.id(), false,
            failureMessage(failure, "the event's commit was not confirmed (it may still be stored; resend it)")));
        return;
      }
      try {
        RelayWire.PublishResult result = RelayWire.PublishResult.decode(response);
        send(RelayMessages.ok(event.id(), result.accepted(), result.message()));
      } catch (IllegalArgumentException e) {
        send(RelayMessages.ok(event.id(), false, "error: the relay's answer did not decode"));
      }
    });
  }

  /** Parses and verifies an event; on failure answers with OK false (when it has an id) or NOTICE, and returns null. */
  private NostrEvent readSignedEvent(JsonNode node) {
    NostrEvent event;
    try {
      event = NostrEvent.fromJson(node);
    } catch (NostrEvent.InvalidEventException e) {
      if (e.id() != null) {
        send(RelayMessages.ok(e.id(), false, "invalid: " + e.getMessage()));
      } else {
        notice("invalid: " + e.getMessage());
      }
      return null;
    }
    String problem = event.verify();
    if (problem != null) {
      send(RelayMessages.ok(event.id(), false, "invalid: " + problem));
      return null;
    }
    return event;
  }

  private void onReq(JsonNode node) {
    if (node.size() < 2 || !node.get(1).isTextual()) {
      notice("invalid: REQ message must be [\"REQ\",<subscription id>,<filter>...]");
      return;
    }
    String id = node.get(1).textValue();
    if (id.isEmpty() || id.length() > limits.subscriptionIdCharsMax()) {
      notice("invalid: a subscription id must be 1.." + limits.subscriptionIdCharsMax() + " characters");
      return;
    }
    int count = node.size() - 2;
    if (count == 0 || count > limits.filtersPerReqMax()) {
      send(RelayMessages.closed(id, "invalid: a REQ must carry 1.." + limits.filtersPerReqMax()
          + " filters (max_filters), this one has " + count));
      return;
    }
    List<Filter> filters = new ArrayList<>(count);
    for (int i = 2; i < node.size(); i++) {
      try {
        filters.add(Filter.fromJson(node.get(i)).clampLimit(limits.limitMax()));
      } catch (Filter.FilterException e) {
        send(RelayMessages.closed(id, e.prefix() + ": " + e.getMessage()));
        return;
      }
    }
    RelaySubscription subscription = new RelaySubscription(id, List.copyOf(filters));
    List<String> viewers;
    synchronized (this) {
      if (closed) {
        return;
      }
      if (authenticated.isEmpty() && filters.stream().anyMatch(Filter::asksForRestrictedKinds)) {
        send(RelayMessages.closed(id, "auth-required: kinds " + EventKinds.RESTRICTED.stream().sorted().toList()
            + " are served only to their authenticated author or p-tagged recipients (NIP-42)"));
        return;
      }
      if (!subscriptions.containsKey(id) && subscriptions.size() >= limits.subscriptionsPerConnectionMax()) {
        send(RelayMessages.closed(id, "rate-limited: this connection has " + subscriptions.size()
            + " subscriptions open, the most it may (max_subscriptions); CLOSE one first"));
        return;
      }
      boolean loads = filters.stream().anyMatch(filter -> filter.limit() > 0);
      if (loads && queriesInFlight >= limits.queriesInFlightPerConnectionMax()) {
        send(RelayMessages.closed(id, "rate-limited: " + queriesInFlight
            + " subscriptions of this connection are still loading stored events"));
        return;
      }
      subscriptions.put(id, subscription);
      if (!loads) {
        subscription.held = null;
        subscription.coveredThrough = relay.lastCommitted();
        subscription.maybeCoveredThrough = subscription.coveredThrough;
        send(RelayMessages.eose(id));
        return;
      }
      queriesInFlight++;
      viewers = List.copyOf(authenticated);
      // Everything the relay heard of so far is in the store, so the answer's readFrom will be at
      // least this: events up to it need no place among the held ones.
      subscription.coveredThrough = relay.lastCommitted();
    }
    List<Filter> loading = filters.stream().filter(filter -> filter.limit() > 0).toList();
    relay.query(RelayWire.query(viewers, loading))
        .whenComplete((response, failure) -> stored(subscription, response, failure));
  }

  /** Sends a subscription's stored events, EOSE, then the live events held meanwhile. */
  private void stored(RelaySubscription subscription, AppGateway.QueryAnswer answer, Throwable failure) {
    RelayWire.QueryResult result = null;
    String problem = null;
    if (failure != null) {
      problem = failureMessage(failure, "stored events could not be read");
    } else {
      try {
        result = RelayWire.QueryResult.decode(answer.response());
      } catch (IllegalArgumentException e) {
        problem = "error: the relay's answer did not decode";
      }
    }
    synchronized (this) {
      queriesInFlight--;
      if (closed || subscriptions.get(subscription.id) != subscription) {
        return;
      }
      if (problem != null) {
        subscriptions.remove(subscription.id);
        send(RelayMessages.closed(subscription.id, problem));
        return;
      }
      Set<String> answered = new HashSet<>();
      for (RelayWire.StoredEvent event : result.events()) {
        answered.add(event.id());
        send(RelayMessages.event(subscription.id, new String(event.json(), StandardCharsets.UTF_8)));
      }
      send(RelayMessages.eose(subscription.id));
      if (!result.cut().isEmpty()) {
        notice("stored events of subscription '" + Check.printable(subscription.id) + "' were cut short: "
            + result.cut());
      }
      subscription.coveredThrough = Math.max(subscription.coveredThrough, answer.readFrom());
      subscription.maybeCoveredThrough = Math.max(subscription.coveredThrough, answer.readThrough());
      subscription.answered = subscription.maybeCoveredThrough > subscription.coveredThrough ? answered : null;
      for (RelaySubscription.Held held : subscription.held) {
        if (subscription.isNew(held.index(), held.id())) {
          send(RelayMessages.event(subscription.id, held.json()));
        }
      }
      subscription.held = null;
    }
  }

  /**
   * Offers the event committed at log index {@code index} to this connection's subscriptions;
   * called by the relay's fan-out thread, in commit order.
   */
  synchronized void deliver(long index, NostrEvent event, String json) {
    if (closed) {
      return;
    }
    for (RelaySubscription subscription : subscriptions.values()) {
      if (subscription.live()) {
        subscription.passed(index);
      }
    }
    if (!event.visibleTo(authenticated)) {
      return;
    }
    for (RelaySubscription subscription : new ArrayList<>(subscriptions.values())) {
      if (!subscription.matches(event)) {
        continue;
      }
      if (subscription.live()) {
        if (subscription.isNew(index, event.id())) {
          send(RelayMessages.event(subscription.id, json));
        }
      } else if (index <= subscription.coveredThrough) {
        continue; // the stored answer will have it: a late fan-out of an event committed before the REQ
      } else if (subscription.held.size() < limits.liveBufferPerSubscriptionMax()) {
        subscription.held.add(new RelaySubscription.Held(index, event.id(), json));
      } else {
        subscriptions.remove(subscription.id);
        send(RelayMessages.closed(subscription.id, "error: over " + limits.liveBufferPerSubscriptionMax()
            + " new events arrived while stored events loaded; subscribe again"));
      }
    }
  }

  /** Ends every subscription with CLOSED {@code message}: the relay missed live events it should have sent. */
  synchronized void closeSubscriptions(String message) {
    for (String id : new ArrayList<>(subscriptions.keySet())) {
      send(RelayMessages.closed(id, message));
    }
    subscriptions.clear();
  }

  private void onCloseMessage(JsonNode node) {
    if (node.size() != 2 || !node.get(1).isTextual()) {
      notice("invalid: CLOSE message must be [\"CLOSE\",<subscription id>]");
      return;
    }
    synchronized (this) {
      subscriptions.remove(node.get(1).textValue());
    }
  }

  private void onAuth(JsonNode node) {
    if (node.size() != 2 || !node.get(1).isObject()) {
      notice("invalid: AUTH message must be [\"AUTH\",<signed kind 22242 event>]");
      return;
    }
    NostrEvent event = readSignedEvent(node.get(1));
    if (event == null) {
      return;
    }
    String problem = Nip42.problem(event, challenge, relay.settings().relayUrl(),
        Math.floorDiv(relay.clock().millis(), 1000), limits.authWindowSeconds());
    if (problem != null) {
      send(RelayMessages.ok(event.id(), false, problem));
      return;
    }
    synchronized (this) {
      if (!authenticated.contains(event.pubkey()) && authenticated.size() >= limits.authPubkeysPerConnectionMax()) {
        send(RelayMessages.ok(event.id(), false, "restricted: this connection authenticated "
            + authenticated.size() + " pubkeys, the most it may"));
        return;
      }
      authenticated.add(event.pubkey());
    }
    send(RelayMessages.ok(event.id(), true, ""));
  }

  private static String failureMessage(Throwable failure, String what) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof AppRejectedException rejected) {
      String message = String.valueOf(rejected.getMessage());
      return message.matches("^[a-z-]+: .*") ? message : "error: " + message;
    }
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : Check.printable(cause.getMessage());
    return "error: " + what + " (" + detail + ")";
  }

  private void notice(String message) {
    send(RelayMessages.notice(message));
  }

  private void send(String text) {
    outbox.offer(text);
  }

  synchronized int subscriptionCount() {
    return subscriptions.size();
  }

  synchronized Set<String> authenticatedPubkeys() {
    return Set.copyOf(authenticated);
  }
}
