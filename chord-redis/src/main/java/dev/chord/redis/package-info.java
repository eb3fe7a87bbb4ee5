/**
 * The Redis backend of Chord: {@link dev.chord.redis.RedisBackend}, for one Redis server or a Redis
 * Cluster. Everything else in this package is internal.
 */
package dev.chord.redis;
