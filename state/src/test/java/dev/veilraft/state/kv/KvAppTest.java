package dev.veilraft.state.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.DeterministicRandom;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvAppTest {
  @TempDir Path dir;
  private RocksDbStateStore store;

  @BeforeEach
  void open() throws StateException {
    store = RocksDbStateStore.open(dir, secret(7));
  }

  @AfterEach
  void close() {
    store.close();
  }

  static byte[] secret(int fill) {
    byte[] bytes = new byte[32];
    Arrays.fill(bytes, (byte) fill);
    return bytes;
  }

  static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static KvRequest put(String key, String value) {
    return KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder().setKey(bytes(key)).setValue(bytes(value))).build();
  }

  static KvRequest get(String key) {
    return KvRequest.newBuilder().setGet(KvRequest.Get.newBuilder().setKey(bytes(key))).build();
  }

  static KvRequest delete(String key) {
    return KvRequest.newBuilder().setDelete(KvRequest.Delete.newBuilder().setKey(bytes(key))).build();
  }

  static KvRequest cas(String key, String expected, String newValue) {
    return KvRequest.newBuilder().setCompareAndSet(KvRequest.CompareAndSet.newBuilder()
        .setKey(bytes(key)).setExpectedValue(bytes(expected)).setNewValue(bytes(newValue))).build();
  }

  static KvRequest casAbsent(String key, String newValue) {
    return KvRequest.newBuilder().setCompareAndSet(KvRequest.CompareAndSet.newBuilder()
        .setKey(bytes(key)).setExpectAbsent(true).setNewValue(bytes(newValue))).build();
  }

  static final AppHost HOST = new AppHost(List.of(new KvApp()));

  /** Applies one request as one log entry, as the apply thread does: through the app host. */
  static EventResult applyEntry(RocksDbStateStore store, byte[] request) throws StateException {
    StateTransaction tx = store.begin();
    long index = store.appliedIndex() + 1;
    EventResult result = HOST.apply(tx, Event.newBuilder().setApp(KvApp.NAME).setRequest(ByteString.copyFrom(request))
        .build(), new AppContext(index, 1000 + index, DeterministicRandom.fromSeed(new byte[32])));
    tx.commit(index);
    return result;
  }

  private KvResponse ok(KvRequest request) throws Exception {
    EventResult result = applyEntry(store, request.toByteArray());
    assertThat(result.getStatus()).as("refused: %s", result.getError()).isEqualTo(EventResult.Status.OK);
    return KvResponse.parseFrom(result.getResponse());
  }

  private String refusal(KvRequest request) throws Exception {
    return refusal(request.toByteArray());
  }

  private String refusal(byte[] request) throws Exception {
    long before = store.appliedIndex();
    EventResult result = applyEntry(store, request);
    assertThat(result.getStatus()).isEqualTo(EventResult.Status.REJECTED);
    assertThat(result.getResponse()).isEmpty();
    assertThat(store.appliedIndex()).isEqualTo(before + 1);
    return result.getError();
  }

  private Optional<String> stored(String key) throws StateException {
    return store.get(AppHost.namespace(KvApp.NAME), key.getBytes(UTF_8)).map(v -> new String(v, UTF_8));
  }

  @Test
  void putReturnsThePreviousValueAndGetReadsTheLatest() throws Exception {
    // Proves put reports whether and what it replaced, and get reads found/value.
    assertThat(ok(get("k"))).isEqualTo(KvResponse.newBuilder().setFound(false).build());
    assertThat(ok(put("k", "v1"))).isEqualTo(KvResponse.newBuilder().setFound(false).build());
    assertThat(ok(put("k", "v2"))).isEqualTo(KvResponse.newBuilder().setFound(true).setValue(bytes("v1")).build());
    assertThat(ok(get("k"))).isEqualTo(KvResponse.newBuilder().setFound(true).setValue(bytes("v2")).build());
    assertThat(ok(put("empty", ""))).extracting(KvResponse::getFound).isEqualTo(false);
    assertThat(ok(get("empty"))).isEqualTo(KvResponse.newBuilder().setFound(true).build());
    assertThat(stored("k")).hasValue("v2");
  }

  @Test
  void aPutOmittingThePreviousValueSaysOnlyWhetherTheKeyExisted() throws Exception {
    // Proves omit_previous keeps found but drops the replaced value from the answer, and still writes.
    assertThat(ok(KvRequests.putOmittingPrevious(bytes("k").toByteArray(), bytes("v1").toByteArray())))
        .isEqualTo(KvResponse.newBuilder().setFound(false).build());
    assertThat(ok(KvRequests.putOmittingPrevious(bytes("k").toByteArray(), bytes("v2").toByteArray())))
        .isEqualTo(KvResponse.newBuilder().setFound(true).build());
    assertThat(stored("k")).hasValue("v2");
    assertThat(ok(put("k", "v3"))).as("without it, the answer still carries the previous value")
        .isEqualTo(KvResponse.newBuilder().setFound(true).setValue(bytes("v2")).build());
  }

  @Test
  void deleteReturnsThePreviousValue() throws Exception {
    // Proves delete removes the key and reports what it removed, and deleting a missing key reports not found.
    ok(put("k", "v"));
    assertThat(ok(delete("k"))).isEqualTo(KvResponse.newBuilder().setFound(true).setValue(bytes("v")).build());
    assertThat(stored("k")).isEmpty();
    assertThat(ok(delete("k"))).isEqualTo(KvResponse.newBuilder().setFound(false).build());
  }

  @Test
  void compareAndSetSwapsOnlyWhenTheValueMatches() throws Exception {
    // Proves CAS swaps on a matching value, and otherwise leaves the key and returns its current value.
    ok(put("k", "v1"));
    assertThat(ok(cas("k", "v1", "v2")))
        .isEqualTo(KvResponse.newBuilder().setFound(true).setValue(bytes("v1")).setSwapped(true).build());
    assertThat(stored("k")).hasValue("v2");

    assertThat(ok(cas("k", "v1", "v3")))
        .isEqualTo(KvResponse.newBuilder().setFound(true).setValue(bytes("v2")).setSwapped(false).build());
    assertThat(stored("k")).hasValue("v2");

    assertThat(ok(cas("missing", "v1", "v3"))).isEqualTo(KvResponse.newBuilder().setFound(false).build());
    assertThat(ok(cas("missing", "", "v3"))).as("absent is not the empty value").extracting(KvResponse::getSwapped)
        .isEqualTo(false);
    assertThat(stored("missing")).isEmpty();

    ok(put("blank", ""));
    assertThat(ok(cas("blank", "", "filled")).getSwapped()).isTrue();
    assertThat(stored("blank")).hasValue("filled");
  }

  @Test
  void compareAndSetExpectAbsentCreatesOnlyNewKeys() throws Exception {
    // Proves expect_absent swaps only when the key does not exist, and reports the existing value otherwise.
    assertThat(ok(casAbsent("k", "first"))).isEqualTo(KvResponse.newBuilder().setSwapped(true).build());
    assertThat(stored("k")).hasValue("first");
    assertThat(ok(casAbsent("k", "second")))
        .isEqualTo(KvResponse.newBuilder().setFound(true).setValue(bytes("first")).build());
    assertThat(stored("k")).hasValue("first");
  }

  @Test
  void badRequestsAreRefusedWithSpecificReasonsAndChangeNothing() throws Exception {
    // Proves each kind of bad input gets its own refusal message and writes nothing.
    assertThat(refusal(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}))
        .startsWith("kv request is not a KvRequest protobuf: ");
    assertThat(refusal(new byte[0])).isEqualTo("kv request has no operation");
    assertThat(refusal(KvRequest.newBuilder().build())).isEqualTo("kv request has no operation");
    for (KvRequest emptyKey : List.of(put("", "v"), get(""), delete(""), cas("", "a", "b"), casAbsent("", "b"))) {
      assertThat(refusal(emptyKey)).isEqualTo("kv key is empty");
    }
    String longKey = "k".repeat(KvApp.keySizeBytesMax + 1);
    for (KvRequest tooLong : List.of(put(longKey, "v"), get(longKey), delete(longKey), cas(longKey, "a", "b"))) {
      assertThat(refusal(tooLong)).isEqualTo("kv key is 1025 bytes, over keySizeBytesMax 1024");
    }
    String bigValue = "v".repeat(KvApp.valueSizeBytesMax + 1);
    assertThat(refusal(put("k", bigValue))).isEqualTo("kv value is 65537 bytes, over valueSizeBytesMax 65536");
    assertThat(refusal(cas("k", "a", bigValue))).contains("kv new_value", "valueSizeBytesMax");
    assertThat(refusal(cas("k", bigValue, "b"))).contains("kv expected_value", "valueSizeBytesMax");
    KvRequest contradictory = KvRequest.newBuilder().setCompareAndSet(KvRequest.CompareAndSet.newBuilder()
        .setKey(bytes("k")).setExpectAbsent(true).setExpectedValue(bytes("a")).setNewValue(bytes("b"))).build();
    assertThat(refusal(contradictory)).isEqualTo("kv compare_and_set sets both expect_absent and expected_value");
    assertThat(stored("k")).isEmpty();

    String longestKey = "k".repeat(KvApp.keySizeBytesMax);
    String largestValue = "v".repeat(KvApp.valueSizeBytesMax);
    ok(put(longestKey, largestValue));
    assertThat(stored(longestKey)).hasValue(largestValue);
  }

  @Test
  void replicasWithDifferentStorageKeysComputeTheSameResults(@TempDir Path otherDir) throws Exception {
    // Proves apply is deterministic: the same entries give equal results on stores with different secrets.
    List<KvRequest> entries = List.of(put("a", "1"), casAbsent("a", "x"), cas("a", "1", "2"), get("a"),
        delete("a"), casAbsent("a", "3"), put("", "bad"), get("a"));
    try (RocksDbStateStore other = RocksDbStateStore.open(otherDir, secret(9))) {
      List<EventResult> here = new ArrayList<>();
      List<EventResult> there = new ArrayList<>();
      for (KvRequest entry : entries) {
        here.add(applyEntry(store, entry.toByteArray()));
        there.add(applyEntry(other, entry.toByteArray()));
      }
      assertThat(here).isEqualTo(there);
      assertThat(KvResponse.parseFrom(here.get(7).getResponse()).getValue()).isEqualTo(bytes("3"));
    }
  }

  @Test
  void storeFailuresPropagateInsteadOfBecomingRefusals() {
    // Proves local corruption is not mistaken for a bad request: StateException reaches the caller.
    StateTransaction broken = new StateTransaction() {
      @Override
      public Optional<byte[]> get(String namespace, byte[] key) throws StateException {
        throw new StateException("state record in namespace 'app/kv' does not authenticate (altered on disk?)");
      }

      @Override
      public List<StateRecord> scan(String namespace, byte[] from, byte[] to, int limit) {
        return List.of();
      }

      @Override
      public void put(String namespace, byte[] key, byte[] value) {}

      @Override
      public void index(String namespace) {}

      @Override
      public void delete(String namespace, byte[] key) {}

      @Override
      public <T extends Attachment> T attachment(Class<T> type, java.util.function.Supplier<T> create) {
        return create.get();
      }

      @Override
      public void commit(long appliedIndex) {}

      @Override
      public void commitNodeLocal() {}
    };
    Event event = Event.newBuilder().setApp(KvApp.NAME).setRequest(put("k", "v").toByteString()).build();
    assertThatThrownBy(() -> HOST.apply(broken, event, new AppContext(1, 1, DeterministicRandom.fromSeed(new byte[32]))))
        .isInstanceOf(StateException.class).hasMessageContaining("does not authenticate");
  }
}
