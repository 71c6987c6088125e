package dev.veilraft.apps.nostr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.state.StateException;
import dev.veilraft.state.app.App;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppException;
import dev.veilraft.state.app.AppReader;
import dev.veilraft.state.app.AppState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The replicated Nostr relay: every member applies each published event the same way, inside its
 * TEE, against its encrypted store ({@link EventStore} documents the records).
 *
 * <p>A publish is parsed (NIP-01 shape, types, hex lengths, {@link NostrLimits}), its id is
 * recomputed and its BIP-340 signature verified, and its created_at may be at most {@link
 * NostrLimits#createdAtFutureSecondsMax} past the leader's time on the entry. Then NIP-01 kinds:
 * regular events are stored; replaceable (0, 3, 10000..19999) and addressable (30000..39999) ones
 * replace the stored version of their pubkey + kind (+ {@code d} tag) when newer (as new: lowest
 * id wins); ephemeral ones (20000..29999) are accepted and broadcast but not stored. NIP-09: a
 * deletion (kind 5) removes its author's own events named by {@code e} tags and the versions of its
 * author's {@code a} coordinates up to its created_at; the deletion is stored, and the deleted
 * events cannot be published again.
 *
 * <p>Every outcome of a well-formed request is a {@link RelayWire.PublishResult} (OK true/false with
 * a NIP-01 prefixed message), so the refusal is recorded like any answer; only a request that is not
 * a publish at all, or carries no usable event id, is an {@link AppException}.
 */
public final class NostrRelayApp implements App {
  public static final String NAME = "nostr";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte[] apply(AppContext context, AppState state, byte[] request) throws AppException, StateException {
    if (request.length == 0 || request[0] != RelayWire.PUBLISH) {
      throw new AppException("invalid: nostr requests are publishes (0x01 ‖ event JSON); queries go to query()");
    }
    NostrEvent event;
    try {
      JsonNode node = NostrJson.read(Arrays.copyOfRange(request, 1, request.length));
      event = NostrEvent.fromJson(node);
    } catch (NostrJson.NostrJsonException e) {
      throw new AppException("invalid: event is " + e.getMessage());
    } catch (NostrEvent.InvalidEventException e) {
      if (e.id() == null) {
        throw new AppException("invalid: " + e.getMessage());
      }
      return refuse(e.id(), "invalid: " + e.getMessage());
    }
    return publish(context, state, event).encode();
  }

  private static RelayWire.PublishResult publish(AppContext context, AppState state, NostrEvent event)
      throws StateException {
    String problem = event.verify();
    if (problem != null) {
      return refused(event, "invalid: " + problem);
    }
    if (event.kind() == EventKinds.CLIENT_AUTH) {
      return refused(event, "invalid: kind 22242 is for NIP-42 AUTH messages and is never published");
    }
    long nowSeconds = Math.floorDiv(context.leaderTimeMs(), 1000);
    if (event.createdAt() > nowSeconds + NostrLimits.createdAtFutureSecondsMax) {
      return refused(event, "invalid: created_at " + event.createdAt() + " is more than "
          + NostrLimits.createdAtFutureSecondsMax + " s ahead of the relay's time " + nowSeconds);
    }
    String json = event.toJson();
    EventKinds.Retention retention = event.retention();
    if (retention == EventKinds.Retention.EPHEMERAL) {
      return new RelayWire.PublishResult(true, event.id(), "", json);
    }
    if (state.get(EventStore.eventKey(event.id())).isPresent()) {
      return new RelayWire.PublishResult(true, event.id(), "duplicate: already have this event", null);
    }
    if (event.kind() != EventKinds.DELETION
        && state.get(EventStore.deletedIdKey(event.id(), event.pubkey())).isPresent()) {
      return refused(event, "blocked: this event was deleted by its author (NIP-09)");
    }
    if (retention == EventKinds.Retention.REPLACEABLE || retention == EventKinds.Retention.ADDRESSABLE) {
      RelayWire.PublishResult refusal = replace(state, event);
      if (refusal != null) {
        return refusal;
      }
    }
    if (event.kind() == EventKinds.DELETION) {
      RelayWire.PublishResult refusal = delete(state, event);
      if (refusal != null) {
        return refusal;
      }
    }
    EventStore.put(state, event, json.getBytes(StandardCharsets.UTF_8));
    return new RelayWire.PublishResult(true, event.id(), "", json);
  }

  /** Makes {@code event} the latest of its address, removing the version it replaces; or says why not. */
  private static RelayWire.PublishResult replace(AppState state, NostrEvent event) throws StateException {
    String d = EventStore.address(event);
    if (event.createdAt() <= EventStore.deletedUpTo(state, EventStore.deletedAddressKey(event.pubkey(), event.kind(), d))) {
      return refused(event, "blocked: its author deleted this address up to a later time (NIP-09)");
    }
    byte[] latestKey = EventStore.latestKey(event.pubkey(), event.kind(), d);
    Optional<EventStore.Latest> latest = EventStore.latest(state, latestKey);
    if (latest.isPresent()) {
      if (latest.get().supersedes(event)) {
        return refused(event, "invalid: a newer version of this " + event.retention().name().toLowerCase()
            + " event is stored (created_at " + latest.get().createdAt() + ")");
      }
      removeStored(state, latest.get().id());
    }
    state.put(latestKey, new EventStore.Latest(event.createdAt(), event.id()).encode());
    return null;
  }

  /** Applies a NIP-09 deletion request's {@code e} and {@code a} references; or says why it is refused. */
  private static RelayWire.PublishResult delete(AppState state, NostrEvent deletion) throws StateException {
    List<List<String>> references = new ArrayList<>();
    for (List<String> tag : deletion.tags()) {
      if (tag.size() >= 2 && (tag.get(0).equals("e") || tag.get(0).equals("a"))) {
        references.add(tag);
      }
    }
    if (references.size() > NostrLimits.deletionTargetsMax) {
      return refused(deletion, "invalid: a deletion request may reference at most " + NostrLimits.deletionTargetsMax
          + " events, this one references " + references.size());
    }
    byte[] deletedAt = Hashes.u64(deletion.createdAt());
    for (List<String> reference : references) {
      String target = reference.get(1);
      if (reference.get(0).equals("e")) {
        if (NostrJson.isLowerHex(target, 64)) {
          state.put(EventStore.deletedIdKey(target, deletion.pubkey()), deletedAt);
          Optional<NostrEvent> stored = EventStore.load(state, target);
          // Only the author's own events, and a deletion request cannot be deleted (NIP-09).
          if (stored.isPresent() && stored.get().pubkey().equals(deletion.pubkey())
              && stored.get().kind() != EventKinds.DELETION) {
            EventStore.remove(state, stored.get());
          }
        }
      } else {
        deleteAddress(state, deletion, target);
      }
    }
    return null;
  }

  /** Deletes the versions of {@code kind:pubkey:d} up to the deletion's created_at, when it is the author's. */
  private static void deleteAddress(AppState state, NostrEvent deletion, String coordinate) throws StateException {
    String[] parts = coordinate.split(":", 3);
    if (parts.length != 3 || !parts[1].equals(deletion.pubkey()) || !parts[0].matches("[0-9]{1,5}")) {
      return;
    }
    int kind = Integer.parseInt(parts[0]);
    EventKinds.Retention retention = EventKinds.retention(kind);
    if (kind > EventKinds.KIND_MAX
        || retention != EventKinds.Retention.REPLACEABLE && retention != EventKinds.Retention.ADDRESSABLE) {
      return;
    }
    String d = retention == EventKinds.Retention.ADDRESSABLE ? parts[2] : "";
    byte[] deletedKey = EventStore.deletedAddressKey(deletion.pubkey(), kind, d);
    if (EventStore.deletedUpTo(state, deletedKey) < deletion.createdAt()) {
      state.put(deletedKey, Hashes.u64(deletion.createdAt()));
    }
    byte[] latestKey = EventStore.latestKey(deletion.pubkey(), kind, d);
    Optional<EventStore.Latest> latest = EventStore.latest(state, latestKey);
    if (latest.isPresent() && latest.get().createdAt() <= deletion.createdAt()) {
      removeStored(state, latest.get().id());
    }
  }

  private static void removeStored(AppState state, String id) throws StateException {
    Optional<NostrEvent> stored = EventStore.load(state, id);
    if (stored.isEmpty()) {
      throw new StateException("nostr LATEST names event " + id + " but no event record exists (state corrupted)");
    }
    EventStore.remove(state, stored.get());
  }

  private static RelayWire.PublishResult refused(NostrEvent event, String message) {
    return new RelayWire.PublishResult(false, event.id(), message, null);
  }

  private static byte[] refuse(String id, String message) {
    return new RelayWire.PublishResult(false, id, message, null).encode();
  }

  /** Answers a {@link RelayWire#query} request from an ordinary client: no viewer is authenticated. */
  @Override
  public byte[] query(AppReader state, byte[] request) throws AppException, StateException {
    return query(state, request, false);
  }

  /**
   * Answers a {@link RelayWire#query} request from committed state. The viewers (pubkeys that
   * passed NIP-42 AUTH, who may see DMs and gift wraps addressed to them) count only when a
   * member's own front end sent the query: anyone else could name any pubkey.
   */
  @Override
  public byte[] query(AppReader state, byte[] request, boolean fromMember) throws AppException, StateException {
    RelayWire.Query query = RelayWire.readQuery(request);
    return EventQuery.run(state, fromMember ? query.viewers() : java.util.List.of(), query.filters()).encode();
  }
}
