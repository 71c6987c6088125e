package dev.veilraft.bench;

import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateTransaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

/**
 * What the store-wide state digest costs: the open of a store of {@code MB} megabytes (which reads
 * and hashes every record), compared with a bare pass over the same RocksDB files and with
 * HMAC-SHA256 alone; and the latency of a commit, which now reads each replaced record and
 * hashes two ciphertexts per change. Only public {@code state} API is used, so the commit phase
 * also runs against an older state jar placed first on the class path, for a before/after
 * comparison (the open phase needs this version's format).
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.veilraft.bench.StateDigestBench 1024 1024}
 * (megabytes, value bytes; add {@code commits} to fill through commits, which an older jar can run
 * too). With {@code -Dbench.dropCaches=true}, run as root, it drops the page
 * cache before the first open so that open reads from disk.
 */
public final class StateDigestBench {
  private static final String NAMESPACE = "app/kv";
  private static final int COMMITS = 20_000;
  private static final int WARMUP_COMMITS = 5_000;
  private static final int OPENS = 5;
  private static final int ROUNDS = 5;

  private StateDigestBench() {}

  public static void main(String[] args) throws Exception {
    long megabytes = args.length > 0 ? Long.parseLong(args[0]) : 100;
    int valueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    boolean commitsOnly = args.length > 2 && args[2].equals("commits");
    long records = megabytes * 1024 * 1024 / valueBytes;
    byte[] secret = new byte[32];
    Arrays.fill(secret, (byte) 3);
    Path root = Files.createTempDirectory("veilraft-digest-bench");
    Path dir = root.resolve("state");
    try {
      long started = System.nanoTime();
      byte[] value = new byte[valueBytes];
      new Random(1).nextBytes(value);
      if (commitsOnly) {
        // The older format has no import to test against; fill through commits of 64 records each.
        try (RocksDbStateStore store = RocksDbStateStore.open(dir, secret)) {
          long index = 0;
          for (long k = 0; k < records; k += 64) {
            StateTransaction tx = store.begin();
            for (long j = k; j < Math.min(records, k + 64); j++) {
              tx.put(NAMESPACE, key(j), value);
            }
            tx.commit(++index);
          }
        }
      } else {
        RocksDbStateStore.importRecords(dir, secret, 1, sink -> {
          for (long k = 0; k < records; k++) {
            ByteBuffer.wrap(value).putLong(k);
            sink.accept(NAMESPACE, key(k), value.clone());
          }
        }).close();
      }
      double fillSeconds = (System.nanoTime() - started) / 1e9;
      // One compaction, so that the opens below are not slowed by compactions the fill left pending.
      try (Options options = new Options(); RocksDB db = RocksDB.open(options, dir.toString())) {
        db.compactRange();
      }
      long bytes = directoryBytes(dir);
      System.out.printf("filled %,d records of %d B (%s): %.1f MB on disk in %.1f s (%.1f MB/s)%n", records, valueBytes,
          commitsOnly ? "commits of 64" : "import", bytes / 1e6, fillSeconds, bytes / 1e6 / fillSeconds);

      if (Boolean.getBoolean("bench.dropCaches")) {
        dropCaches();
        long cold = timeOpen(dir, secret);
        System.out.printf("open, cold page cache: %d ms (%.0f MB/s)%n", cold, bytes / 1e3 / cold);
        dropCaches();
        long coldBare = timeBarePass(dir);
        System.out.printf("bare RocksDB pass over every record, cold page cache: %d ms%n", coldBare);
      }
      long rawOpen = Long.MAX_VALUE;
      for (int i = 0; i < ROUNDS; i++) {
        rawOpen = Math.min(rawOpen, timeRawOpen(dir));
      }
      System.out.printf("bare RocksDB open (no record read), warm: min %d ms%n", rawOpen);
      long[] opens = new long[OPENS];
      for (int i = 0; i < OPENS; i++) {
        opens[i] = timeOpen(dir, secret);
      }
      Arrays.sort(opens);
      System.out.printf("open, warm page cache: min %d ms, median %d ms (%.0f MB/s at the minimum)%n", opens[0],
          opens[OPENS / 2], bytes / 1e3 / opens[0]);
      long bare = Long.MAX_VALUE;
      for (int i = 0; i < ROUNDS; i++) {
        bare = Math.min(bare, timeBarePass(dir));
      }
      System.out.printf("bare RocksDB pass over every record (no hashing), warm: min %d ms%n", bare);
      long hmac = Long.MAX_VALUE;
      for (int i = 0; i < ROUNDS; i++) {
        hmac = Math.min(hmac, timeHmac(records, valueBytes));
      }
      System.out.printf("HMAC-SHA256 alone over the same record sizes, in memory: min %d ms (%.0f MB/s)%n", hmac,
          records * (valueBytes + 110) / 1e3 / hmac);
      for (int round = 1; round <= ROUNDS; round++) {
        System.out.println("commit round " + round);
        commits(dir, secret, records);
      }
    } finally {
      deleteTree(root);
    }
  }

  private static byte[] key(long k) {
    return ("key-" + k).getBytes(StandardCharsets.UTF_8);
  }

  /** The time of {@link RocksDbStateStore#open} alone (close waits for background work, so it is left out). */
  private static long timeOpen(Path dir, byte[] secret) throws Exception {
    long started = System.nanoTime();
    RocksDbStateStore store = RocksDbStateStore.open(dir, secret);
    long millis = (System.nanoTime() - started) / 1_000_000;
    store.close();
    return millis;
  }

  /** The time of a bare RocksDB open, without reading any record: what an open without the digest check costs. */
  private static long timeRawOpen(Path dir) throws Exception {
    long started = System.nanoTime();
    try (Options options = new Options(); RocksDB db = RocksDB.openReadOnly(options, dir.toString())) {
      long millis = (System.nanoTime() - started) / 1_000_000;
      return millis + (db == null ? 1 : 0);
    }
  }

  /** Reads every key and value through RocksDB without hashing: the I/O and JNI floor of the open check. */
  private static long timeBarePass(Path dir) throws Exception {
    long started = System.nanoTime();
    long sum = 0;
    try (Options options = new Options(); RocksDB db = RocksDB.openReadOnly(options, dir.toString());
        ReadOptions reads = new ReadOptions().setFillCache(false).setReadaheadSize(2L << 20);
        RocksIterator it = db.newIterator(reads)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        sum += it.key().length + it.value().length;
      }
      it.status();
    }
    if (sum == 0) {
      throw new IllegalStateException("empty store");
    }
    return (System.nanoTime() - started) / 1_000_000;
  }

  /** HMAC-SHA256 over records of the stored size (40-byte location, ciphertext of about value + 70 bytes). */
  private static long timeHmac(long records, int valueBytes) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
    byte[] location = new byte[40];
    byte[] sealed = new byte[valueBytes + 70];
    long started = System.nanoTime();
    for (long k = 0; k < records; k++) {
      mac.update(location);
      mac.update(sealed);
      location[0] ^= mac.doFinal()[0];
    }
    return Math.max(1, (System.nanoTime() - started) / 1_000_000);
  }

  /** Commit latency: overwrites of existing keys, inserts of new keys, and entries of 10 overwrites. */
  private static void commits(Path dir, byte[] secret, long records) throws Exception {
    Random random = new Random(2);
    byte[] small = new byte[100];
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, secret)) {
      long index = store.appliedIndex();
      for (int i = 0; i < WARMUP_COMMITS; i++) {
        StateTransaction tx = store.begin();
        tx.put(NAMESPACE, key(random.nextInt((int) records)), small);
        tx.commit(++index);
      }
      long started = System.nanoTime();
      for (int i = 0; i < COMMITS; i++) {
        StateTransaction tx = store.begin();
        tx.put(NAMESPACE, key(random.nextInt((int) records)), small);
        tx.commit(++index);
      }
      report("1 overwrite of a 100 B value", started);
      started = System.nanoTime();
      for (int i = 0; i < COMMITS; i++) {
        StateTransaction tx = store.begin();
        tx.put(NAMESPACE, key(records + index), small);
        tx.commit(++index);
      }
      report("1 insert of a 100 B value", started);
      started = System.nanoTime();
      for (int i = 0; i < COMMITS / 10; i++) {
        StateTransaction tx = store.begin();
        for (int j = 0; j < 10; j++) {
          tx.put(NAMESPACE, key(random.nextInt((int) records)), small);
        }
        tx.commit(++index);
      }
      report10("10 overwrites of 100 B values", started);
    }
  }

  private static void report(String what, long started) {
    double micros = (System.nanoTime() - started) / 1e3 / COMMITS;
    System.out.printf("commit of %s: %.1f us%n", what, micros);
  }

  private static void report10(String what, long started) {
    double micros = (System.nanoTime() - started) / 1e3 / (COMMITS / 10);
    System.out.printf("commit of %s: %.1f us%n", what, micros);
  }

  private static void dropCaches() throws IOException, InterruptedException {
    new ProcessBuilder("sync").inheritIO().start().waitFor();
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
  }

  private static long directoryBytes(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
