package dev.veilraft.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.Hkdf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class RecordHasherTest {
  private static final byte[] SECRET = new byte[RecordCipher.STORAGE_SECRET_BYTES];

  static {
    Arrays.fill(SECRET, (byte) 7);
  }

  @Test
  void aRecordsElementIsTheHmacOfItsLocationAndStoredBytesUnderTheDigestKey() throws Exception {
    // Proves the digest element's bytes, which every store on disk holds the sum of: HMAC-SHA256 under
    // HKDF(storage secret, DIGEST_KEY_INFO) of location || sealed. A change here makes every existing store
    // report itself damaged at open.
    byte[] location = new byte[RecordCipher.LOCATION_BYTES];
    Arrays.fill(location, (byte) 1);
    byte[] sealed = Hashes.utf8("a sealed record");

    assertThat(RecordCipher.fromStorageSecret(SECRET).hasher().hash(location, sealed))
        .isEqualTo(expected(location, sealed));
  }

  @Test
  void threadsSharingTheStoresHasherEachGetTheirOwnRecordsElement() throws Exception {
    // Proves the one hasher a store keeps serves a scan and commits on other threads at once.
    RecordHasher hasher = RecordCipher.fromStorageSecret(SECRET).hasher();
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        results.add(threads.submit(() -> {
          for (int i = 0; i < 2_000; i++) {
            byte[] location = new byte[RecordCipher.LOCATION_BYTES];
            location[0] = (byte) thread;
            location[1] = (byte) i;
            byte[] sealed = Hashes.utf8(thread + "/" + i);
            if (!Arrays.equals(hasher.hash(location, sealed), expected(location, sealed))) {
              return false;
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get(60, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private static byte[] expected(byte[] location, byte[] sealed) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Hkdf.sha256(SECRET, new byte[0], Hashes.utf8(RecordCipher.DIGEST_KEY_INFO), 32),
        "HmacSHA256"));
    mac.update(location);
    mac.update(sealed);
    return mac.doFinal();
  }
}
