package dev.veilraft.apps.nostr;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.app.AppReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Answers filters from the indexes of {@link EventStore}: each filter reads one index (ids by point
 * reads; else one tag's values, authors × kinds, authors, kinds, or time, in that order of
 * preference), merging one key range per value newest first, so it reads about as many records as
 * it returns. The answer is the union of the filters' matches, each filter giving at most its
 * limit, newest first (ties: lowest id), each event once, restricted kinds only for their parties.
 * Work and size are bounded ({@link NostrLimits#queryExaminedRecordsMax}, {@link
 * NostrLimits#queryResponseBytesMax}); an answer cut by a bound says so.
 */
final class EventQuery {
  /**
   * Pages after a range's first (which is the filter's limit shared among its ranges) double, from
   * at least this many records, up to the store's scan bound.
   */
  static final int PAGE_RECORDS_MIN = 16;
  static final int PAGE_RECORDS_MAX = 1_000;
  /** Most key ranges one filter merges; a filter needing more reads a coarser index. */
  static final int RANGES_PER_FILTER_MAX = NostrLimits.filterValuesMax;

  private final AppReader state;
  private final Set<String> viewers;
  private final Map<String, Found> found = new LinkedHashMap<>();
  private int examined;
  private long bytes;
  private String cut = "";

  private record Found(String id, long createdAt, byte[] json) {}

  private EventQuery(AppReader state, List<String> viewers) {
    this.state = state;
    this.viewers = Set.copyOf(viewers);
  }

  /** Runs {@code filters} (limits already clamped) for {@code viewers}. */
  static RelayWire.QueryResult run(AppReader state, List<String> viewers, List<Filter> filters) throws StateException {
    EventQuery query = new EventQuery(state, viewers);
    for (Filter filter : filters) {
      if (!query.cut.isEmpty()) {
        break;
      }
      query.runFilter(filter);
    }
    List<Found> events = new ArrayList<>(query.found.values());
    events.sort(Comparator.comparingLong(Found::createdAt).reversed().thenComparing(Found::id));
    List<RelayWire.StoredEvent> out = new ArrayList<>(events.size());
    for (Found event : events) {
      out.add(new RelayWire.StoredEvent(event.id(), event.json()));
    }
    return new RelayWire.QueryResult(out, query.cut);
  }

  private void runFilter(Filter filter) throws StateException {
    int limit = filter.limit() == null ? NostrLimits.queryLimitMax : filter.limit();
    if (limit == 0 || isEmptyList(filter)) {
      return;
    }
    if (filter.ids() != null) {
      runIds(filter, limit);
      return;
    }
    PriorityQueue<Range> ranges = new PriorityQueue<>();
    List<byte[]> prefixes = prefixes(filter);
    // When every record matches, the ranges together need just `limit` records: read that much first.
    int firstPage = Math.max(1, Math.min(PAGE_RECORDS_MAX, (limit + prefixes.size() - 1) / prefixes.size()));
    for (byte[] prefix : prefixes) {
      Range range = new Range(prefix, filter, firstPage);
      if (range.head() != null) {
        ranges.add(range);
      }
    }
    int matched = 0;
    Set<String> seen = new HashSet<>();
    while (matched < limit && !ranges.isEmpty()) {
      if (examined >= NostrLimits.queryExaminedRecordsMax) {
        cut = "read " + examined + " index records, the most one query may (narrow the filters or page with until)";
        return;
      }
      Range range = ranges.poll();
      StateRecord record = range.head();
      range.advance();
      if (range.head() != null) {
        ranges.add(range);
      }
      examined++;
      String id = EventStore.idOf(record.key());
      if (!seen.add(id) || !precheck(filter, record)) {
        continue;
      }
      if (found.containsKey(id)) {
        // An earlier filter returned it already: it counts toward this filter's limit when it matches here too.
        if (filter.matches(EventStore.parseStored(found.get(id).json(), id))) {
          matched++;
        }
        continue;
      }
      if (accept(filter, id)) {
        matched++;
      } else if (!cut.isEmpty()) {
        return;
      }
    }
  }

  private void runIds(Filter filter, int limit) throws StateException {
    List<Found> matches = new ArrayList<>();
    for (String id : filter.ids()) {
      examined++;
      Optional<byte[]> json = state.get(EventStore.eventKey(id));
      if (json.isPresent()) {
        NostrEvent event = EventStore.parseStored(json.get(), id);
        if (filter.matches(event) && event.visibleTo(viewers)) {
          matches.add(new Found(id, event.createdAt(), json.get()));
        }
      }
    }
    matches.sort(Comparator.comparingLong(Found::createdAt).reversed().thenComparing(Found::id));
    for (Found match : matches.subList(0, Math.min(limit, matches.size()))) {
      if (!add(match)) {
        return;
      }
    }
  }

  /** Reads the event an index record names and keeps it when it matches; false when it does not. */
  private boolean accept(Filter filter, String id) throws StateException {
    Optional<byte[]> json = state.get(EventStore.eventKey(id));
    if (json.isEmpty()) {
      throw new StateException("nostr index names event " + id + " but no event record exists (state corrupted)");
    }
    NostrEvent event = EventStore.parseStored(json.get(), id);
    if (!filter.matches(event) || !event.visibleTo(viewers)) {
      return false;
    }
    return add(new Found(id, event.createdAt(), json.get()));
  }

  private boolean add(Found event) {
    if (found.containsKey(event.id())) {
      return true;
    }
    if (bytes + event.json().length > NostrLimits.queryResponseBytesMax) {
      cut = "the answer reached " + bytes + " bytes, the most one query returns (narrow the filters or page with until)";
      return false;
    }
    bytes += event.json().length;
    found.put(event.id(), event);
    return true;
  }

  /** Tests what the index record itself tells: kind, author and time. */
  private static boolean precheck(Filter filter, StateRecord record) {
    int kind = EventStore.kindOf(record.value());
    return (filter.kinds() == null || filter.kinds().contains(kind))
        && (filter.authors() == null || filter.authors().contains(EventStore.pubkeyOf(record.value())))
        && filter.inTimeRange(EventStore.createdAtOf(record.key()));
  }

  private static boolean isEmptyList(Filter filter) {
    return filter.ids() != null && filter.ids().isEmpty() || filter.authors() != null && filter.authors().isEmpty()
        || filter.kinds() != null && filter.kinds().isEmpty()
        || filter.tags().values().stream().anyMatch(Set::isEmpty);
  }

  /** The index ranges the filter reads: one per value of the most selective condition it has. */
  private static List<byte[]> prefixes(Filter filter) {
    List<byte[]> prefixes = new ArrayList<>();
    if (!filter.tags().isEmpty()) {
      Map.Entry<Character, Set<String>> fewest = filter.tags().entrySet().stream()
          .min(Comparator.comparingInt(tag -> tag.getValue().size())).orElseThrow();
      fewest.getValue().forEach(value -> prefixes.add(EventStore.tagPrefix(fewest.getKey(), value)));
    } else if (filter.authors() != null && filter.kinds() != null
        && (long) filter.authors().size() * filter.kinds().size() <= RANGES_PER_FILTER_MAX) {
      for (String author : filter.authors()) {
        filter.kinds().forEach(kind -> prefixes.add(EventStore.authorKindPrefix(NostrJson.unhex(author), kind)));
      }
    } else if (filter.authors() != null) {
      filter.authors().forEach(author -> prefixes.add(EventStore.authorPrefix(NostrJson.unhex(author))));
    } else if (filter.kinds() != null) {
      filter.kinds().forEach(kind -> prefixes.add(EventStore.kindPrefix(kind)));
    } else {
      prefixes.add(EventStore.timePrefix());
    }
    return prefixes;
  }

  /** One index key range [prefix ‖ order(until), prefix ‖ order(since)], read page by page. */
  private final class Range implements Comparable<Range> {
    private final byte[] end;
    private byte[] next;
    private final ArrayDeque<StateRecord> page = new ArrayDeque<>();
    private int pageRecords;
    private boolean exhausted;

    Range(byte[] prefix, Filter filter, int firstPage) throws StateException {
      this.pageRecords = firstPage;
      long until = filter.until() == null ? Long.MAX_VALUE : Math.max(filter.until(), -1);
      long since = filter.since() == null ? 0 : Math.max(filter.since(), 0);
      if (until < since) {
        this.end = null;
        this.exhausted = true;
        return;
      }
      this.next = Hashes.concat(prefix, Hashes.u64(~until));
      // ~since is the last order value wanted; the range ends before ~since + 1 (or at the prefix's end).
      this.end = since == 0 ? EventStore.prefixEnd(prefix)
          : Hashes.concat(prefix, Hashes.u64(~since + 1));
      fill();
    }

    StateRecord head() {
      return page.peekFirst();
    }

    void advance() throws StateException {
      page.pollFirst();
      if (page.isEmpty()) {
        fill();
      }
    }

    private void fill() throws StateException {
      if (exhausted) {
        return;
      }
      List<StateRecord> records = state.scan(next, end, pageRecords);
      page.addAll(records);
      if (records.size() < pageRecords) {
        exhausted = true;
      } else {
        byte[] last = records.get(records.size() - 1).key();
        next = Arrays.copyOf(last, last.length + 1);
        pageRecords = Math.min(Math.max(pageRecords * 2, PAGE_RECORDS_MIN), PAGE_RECORDS_MAX);
      }
    }

    /** Orders ranges by their head's order() bytes: newest first, then lowest id. */
    @Override
    public int compareTo(Range other) {
      byte[] a = head().key();
      byte[] b = other.head().key();
      return Arrays.compareUnsigned(a, a.length - EventStore.ORDER_BYTES, a.length, b, b.length - EventStore.ORDER_BYTES,
          b.length);
    }
  }
}
