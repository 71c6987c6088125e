package dev.veilraft.state;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;

/**
 * The RocksDB options of one state store, sized for small nodes (a TEE guest with a few GiB of
 * memory and two cores). Every field is a native object: {@link #close()} frees them after the
 * database that uses them is closed.
 */
record SmallNodeRocksOptions(Options options, LRUCache blockCache, BloomFilter filter, WriteOptions writes)
    implements AutoCloseable {
  static final long blockCacheBytes = 32L * 1024 * 1024;
  /**
   * Memtable size. Locations are keyed hashes, so every insert walks the skip list from a random
   * place and the walk is mostly cache misses (RocksDB's FindSpliceForLevel was 61% of its write
   * call on a follower at 64 puts in flight, session 28's profile). A smaller memtable keeps more
   * of it in cache: JMH {@code ApplyBench.followerApplyExactlyOnceGroupOf16PerPut}, 256 B, two
   * rounds, was 30.8 / 30.8 µs per put at 4 MiB against 32.5 / 32.4 at 16 and 35.6 / 35.9 at 64; in
   * the cluster (3 nodes, 256 B, flushes and compactions counted) 4 MiB did 5.6% more puts/s at 64 in
   * flight and 2.1% more at 256 (bench/README, session 29). The price is four times as many
   * flushes, each a smaller L0 file; {@link #level0FilesCompacted} keeps compactions as large as
   * before. On a store of about 1.3M keys these options were 3–5% below two 16 MiB memtables with
   * RocksDB's L0 trigger of 4 (one run): the gain is a small store's.
   */
  static final long writeBufferBytes = 4L * 1024 * 1024;
  /**
   * Memtables, the active one included. Four of 4 MiB hold half what two of 16 did, and leave room
   * for a write as large as a memtable (a 4 MiB value, an import's batch) while a flush runs.
   */
  static final int writeBuffersMax = 4;
  /**
   * L0 files that start a compaction into the base level: 16 × 4 MiB, the 64 MiB that RocksDB's
   * default 4 × 16 MiB compacted. Keys are hashes, so every L0 file overlaps the whole base level
   * and each such compaction rewrites it: with 4 files of 4 MiB a large store would rewrite its
   * base level four times as often per byte written.
   */
  static final int level0FilesCompacted = 16;
  /**
   * L0 files at which writes slow down, then stop: as far above {@link #level0FilesCompacted} as
   * RocksDB's defaults (20 and 36) are above its 4.
   */
  static final int level0FilesSlowed = level0FilesCompacted + 16;
  static final int level0FilesStopped = level0FilesCompacted + 32;
  static final int backgroundJobsMax = 2;
  static final int openFilesMax = 512;
  static final long walTotalBytesMax = 64L * 1024 * 1024;
  static final long infoLogFileBytesMax = 8L * 1024 * 1024;
  static final int infoLogFilesKept = 4;
  static final double bloomBitsPerKey = 10;

  static SmallNodeRocksOptions create() {
    LRUCache blockCache = new LRUCache(blockCacheBytes);
    BloomFilter filter = new BloomFilter(bloomBitsPerKey);
    BlockBasedTableConfig table = new BlockBasedTableConfig()
        .setBlockCache(blockCache)
        .setFilterPolicy(filter)
        .setCacheIndexAndFilterBlocks(true);
    Options options = new Options()
        .setCreateIfMissing(true)
        // Paranoid checks make RocksDB refuse to open files whose checksums fail, rather than
        // serving whatever survives of them.
        .setParanoidChecks(true)
        // After a crash the WAL is replayed up to its first damaged record: the store is a
        // consistent prefix of applied entries, and Raft re-applies the rest.
        .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
        // Values are AEAD ciphertext and keys are HMACs: neither compresses, so don't try.
        .setCompressionType(CompressionType.NO_COMPRESSION)
        // No prefix extractor although locations start with an 8-byte namespace tag: it would
        // change how iterators seek (export walks across all namespaces), for little gain with the
        // handful of namespaces a node has. Whole-key Bloom filters serve the point reads.
        // No memtable Bloom filter (setMemtablePrefixBloomSizeRatio 0.01 with whole-key
        // filtering): tried with the apply path's RecentRecords in place, it cut MemTable::Get
        // from about 9% to 2% of ApplyBench's exactly-once profile, but no ApplyBench benchmark
        // got measurably faster (memtable inserts and writes took a larger share).
        .setTableFormatConfig(table)
        .setWriteBufferSize(writeBufferBytes)
        .setMaxWriteBufferNumber(writeBuffersMax)
        .setLevel0FileNumCompactionTrigger(level0FilesCompacted)
        .setLevel0SlowdownWritesTrigger(level0FilesSlowed)
        .setLevel0StopWritesTrigger(level0FilesStopped)
        .setMaxBackgroundJobs(backgroundJobsMax)
        .setMaxOpenFiles(openFilesMax)
        .setMaxTotalWalSize(walTotalBytesMax)
        .setMaxLogFileSize(infoLogFileBytesMax)
        .setKeepLogFileNum(infoLogFilesKept);
    // sync=false: a write reaches the OS page cache, not necessarily the disk. That is enough
    // because the Raft log, not this store, is the durable record of committed entries: after a
    // crash the store comes back at some earlier applied index (each entry's batch is atomic)
    // and the node re-applies the log entries after it.
    WriteOptions writes = new WriteOptions().setSync(false);
    return new SmallNodeRocksOptions(options, blockCache, filter, writes);
  }

  @Override
  public void close() {
    writes.close();
    options.close();
    filter.close();
    blockCache.close();
  }
}
