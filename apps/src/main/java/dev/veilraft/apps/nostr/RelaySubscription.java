package dev.veilraft.apps.nostr;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One REQ of one connection: its filters, the live events held while its stored events load, and
 * which committed events its stored answer covered. Guarded by its connection's lock.
 */
final class RelaySubscription {
  final String id;
  final List<Filter> filters;
  /** Live events held while stored events load; null once the subscription is live. */
  List<Held> held = new ArrayList<>();
  /**
   * Events committed at or before this log index are never sent live: the stored answer was read
   * with every one of them in effect (so it has them, or they are older than its limit), or the
   * REQ asked for no stored events and they were committed before it. While stored events load:
   * the last commit the relay had heard of at the REQ, which the answer will cover too.
   */
  long coveredThrough;
  /**
   * Events committed after {@link #coveredThrough} and at or before this index may or may not have
   * been in effect when the stored answer was read: they are sent live unless {@link #answered}
   * has their id.
   */
  long maybeCoveredThrough;
  /** The ids the stored answer sent; null once no event up to {@link #maybeCoveredThrough} can still come. */
  Set<String> answered;

  /** A committed event that matched while stored events loaded: its log index, id and canonical JSON. */
  record Held(long index, String id, String json) {}

  /**
   * Whether the event committed at {@code index} is new to this subscription: this is what keeps a
   * relay whose fan-out runs behind its commits from sending a stored event a second time, without
   * ever dropping one the stored answer did not have.
   */
  boolean isNew(long index, String id) {
    if (index <= coveredThrough) {
      return false;
    }
    return index > maybeCoveredThrough || answered == null || !answered.contains(id);
  }

  /**
   * The fan-out reached the event committed at {@code index}, matching or not. It runs in commit
   * order, so past {@link #maybeCoveredThrough} the answer's ids are needed no more.
   */
  void passed(long index) {
    if (index > maybeCoveredThrough) {
      answered = null;
    }
  }

  RelaySubscription(String id, List<Filter> filters) {
    this.id = id;
    this.filters = filters;
  }

  boolean live() {
    return held == null;
  }

  /** Whether any filter matches (filters of one REQ are alternatives). */
  boolean matches(NostrEvent event) {
    for (Filter filter : filters) {
      if (filter.matches(event)) {
        return true;
      }
    }
    return false;
  }
}
