-- Chord's PostgresBackend schema, version 1. PostgresBackend.createSchema() runs this file (with
-- "chord_" replaced by its table prefix); teams that run migrations themselves (Flyway, Liquibase)
-- may ship it as is. Every statement is idempotent.
--
-- Layout: one row per context (its head), one row per node of its tree (leaves), one row per
-- stored delta. A commit touches the head, the leaves its delta names, one delta row and the
-- trimmed ones: O(change), not O(context). Every write is one call of one function below, so it
-- is atomic and one round trip; commits, restores and deletes publish on channel chord_feed.

create table if not exists chord_contexts (
  id text primary key,
  epoch text not null,
  version bigint not null,
  inserted_at bigint not null
) with (fillfactor = 80);

-- path: the node's keys as a JSON array; value: a scalar's or list's typed JSON, or {} for a map.
create table if not exists chord_leaves (
  id text not null,
  path text not null,
  value text not null,
  primary key (id, path)
) with (fillfactor = 80);

-- delta: the delta message (version, insertedAt, changes) as the backend writes it.
create table if not exists chord_deltas (
  id text not null,
  version bigint not null,
  inserted_at bigint not null,
  delta text not null,
  primary key (id, version)
);

-- Reads a context in one snapshot (STABLE: all statements see the snapshot of the call).
-- Rows: ('h', version, inserted_at, epoch, null) first, then deltas ('d', version, inserted_at,
-- null, delta) or leaves ('l', null, null, path, value). Modes:
--   0 history: the deltas above p_after, if the head is above it by 1 to p_max versions;
--   1 refresh a copy at (p_known_epoch, p_after): nothing more if it is current, the deltas since
--     if it is of this epoch, at most p_max behind and they are stored, else all leaves;
--   2 full: all leaves.
create or replace function chord_read(
  p_id text, p_after bigint, p_max integer, p_known_epoch text, p_mode integer)
returns table (k text, n bigint, t bigint, s text, v text)
language plpgsql stable as $$
declare
  h record;
  oldest bigint;
begin
  select c.version, c.inserted_at, c.epoch into h from chord_contexts c where c.id = p_id;
  if not found then
    return;
  end if;
  return query select 'h'::text, h.version, h.inserted_at, h.epoch, null::text;
  if p_mode = 0 then
    if h.version > p_after and h.version - p_after <= p_max then
      return query select 'd'::text, d.version, d.inserted_at, null::text, d.delta
        from chord_deltas d where d.id = p_id and d.version > p_after order by d.version;
    end if;
    return;
  end if;
  if p_mode = 1 and p_known_epoch = h.epoch and h.version >= p_after then
    if h.version = p_after then
      return;
    end if;
    if h.version - p_after <= p_max then
      select min(d.version) into oldest from chord_deltas d where d.id = p_id;
      if oldest is not null and oldest <= p_after + 1 then
        return query select 'd'::text, d.version, d.inserted_at, null::text, d.delta
          from chord_deltas d where d.id = p_id and d.version > p_after order by d.version;
        return;
      end if;
    end if;
  end if;
  return query select 'l'::text, null::bigint, null::bigint, l.path, l.value
    from chord_leaves l where l.id = p_id;
end
$$;

-- One commit: checks the stored (epoch, version) (p_expected_version 0: the id must be absent),
-- deletes and sets the leaves the delta names, appends the delta, keeps at most p_max_deltas, and
-- notifies chord_feed; all or nothing. Returns ('c', version, inserted_at, epoch, null) when
-- stored; on a conflict nothing is written and it returns chord_read(mode 1) for the caller's copy
-- at (p_known_epoch, p_known_version), no rows if the id is absent. The notification is
-- 'd <epoch> <version> <id length> <id><delta>', or without the delta ('v …') when that would
-- not fit NOTIFY's 8000 bytes: the listener reads it from chord_deltas. With p_notify_later the
-- notification is not sent but left in the session setting chord.feed, for the caller to send
-- after the commit in a transaction of its own: a transaction that notified holds a database-wide
-- lock until its commit is flushed, so notifying commits cannot share a WAL flush.
create or replace function chord_commit(
  p_id text, p_expected_version bigint, p_expected_epoch text, p_epoch text,
  p_inserted_at bigint, p_max_deltas integer, p_deletes text[], p_paths text[],
  p_values text[], p_delta text, p_known_epoch text, p_known_version bigint,
  p_max_behind integer, p_notify_later boolean)
returns table (k text, n bigint, t bigint, s text, v text)
language plpgsql as $$
declare
  next_version bigint := p_expected_version + 1;
  head text;
  payload text;
begin
  if p_notify_later then
    -- A payload left by a notification that failed after its commit must not go out with this
    -- call's (which may be a conflict, notifying nothing).
    perform set_config('chord.feed', '', false);
  end if;
  if p_expected_version = 0 then
    insert into chord_contexts (id, epoch, version, inserted_at)
      values (p_id, p_epoch, 1, p_inserted_at) on conflict (id) do nothing;
  else
    update chord_contexts c set version = next_version, inserted_at = p_inserted_at
      where c.id = p_id and c.version = p_expected_version and c.epoch = p_expected_epoch;
  end if;
  if not found then
    return query select * from chord_read(p_id, p_known_version, p_max_behind, p_known_epoch, 1);
    return;
  end if;
  if cardinality(p_deletes) > 0 then
    delete from chord_leaves l where l.id = p_id and l.path = any(p_deletes);
  end if;
  if cardinality(p_paths) > 0 then
    insert into chord_leaves (id, path, value)
      select p_id, x.path, x.value from unnest(p_paths, p_values) as x(path, value)
      on conflict (id, path) do update set value = excluded.value;
  end if;
  insert into chord_deltas (id, version, inserted_at, delta)
    values (p_id, next_version, p_inserted_at, p_delta);
  if next_version > p_max_deltas then
    delete from chord_deltas d where d.id = p_id and d.version <= next_version - p_max_deltas;
  end if;
  head := p_epoch || ' ' || next_version || ' ' || length(p_id) || ' ' || p_id;
  if octet_length(head) + octet_length(p_delta) < 7990 then
    payload := 'd ' || head || p_delta;
  else
    payload := 'v ' || head;
  end if;
  if p_notify_later then
    -- For the caller's next statement, in a transaction of its own (see PostgresBackend).
    perform set_config('chord.feed', payload, false);
  else
    perform pg_notify('chord_feed', payload);
  end if;
  return query select 'c'::text, next_version, p_inserted_at, p_epoch, null::text;
end
$$;

-- Stores a context as given, whatever was there (with p_if_absent: only if no context of that id
-- is stored, else changes nothing), drops its deltas, notifies 'r <epoch> <version>'; returns
-- whether it stored it. Racing restores of an absent id: the unique index makes the later insert
-- wait for the earlier transaction and then do nothing, so exactly one wins.
-- Development builds had a restore without p_if_absent; an overload left behind would restore
-- unconditionally under the same name.
drop function if exists chord_restore(text, text, bigint, bigint, text[], text[]);
create or replace function chord_restore(
  p_id text, p_epoch text, p_version bigint, p_inserted_at bigint, p_paths text[],
  p_values text[], p_if_absent boolean)
returns boolean
language plpgsql as $$
begin
  if p_if_absent then
    insert into chord_contexts (id, epoch, version, inserted_at)
      values (p_id, p_epoch, p_version, p_inserted_at)
      on conflict (id) do nothing;
    if not found then
      return false;
    end if;
  else
    insert into chord_contexts (id, epoch, version, inserted_at)
      values (p_id, p_epoch, p_version, p_inserted_at)
      on conflict (id) do update
        set epoch = excluded.epoch, version = excluded.version, inserted_at = excluded.inserted_at;
  end if;
  delete from chord_leaves l where l.id = p_id;
  delete from chord_deltas d where d.id = p_id;
  insert into chord_leaves (id, path, value)
    select p_id, x.path, x.value from unnest(p_paths, p_values) as x(path, value);
  perform pg_notify('chord_feed',
    'r ' || p_epoch || ' ' || p_version || ' ' || length(p_id) || ' ' || p_id);
  return true;
end
$$;

-- Deletes a context (only at (p_epoch, p_version) unless p_epoch is null) with its leaves and
-- deltas, notifies 'r <deleted epoch> 0'; returns whether it was deleted.
create or replace function chord_delete(p_id text, p_epoch text, p_version bigint)
returns boolean
language plpgsql as $$
declare
  gone text;
begin
  delete from chord_contexts c
    where c.id = p_id and (p_epoch is null or (c.epoch = p_epoch and c.version = p_version))
    returning c.epoch into gone;
  if not found then
    return false;
  end if;
  delete from chord_leaves l where l.id = p_id;
  delete from chord_deltas d where d.id = p_id;
  perform pg_notify('chord_feed', 'r ' || gone || ' 0 ' || length(p_id) || ' ' || p_id);
  return true;
end
$$;

-- Drops the oldest deltas while their inserted_at is below p_before; returns how many.
create or replace function chord_trim(p_id text, p_before bigint)
returns bigint
language plpgsql as $$
declare
  dropped bigint;
begin
  perform 1 from chord_contexts c where c.id = p_id for update;
  delete from chord_deltas d
    where d.id = p_id
      and d.version < coalesce(
        (select min(e.version) from chord_deltas e where e.id = p_id and e.inserted_at >= p_before),
        9223372036854775807);
  get diagnostics dropped = row_count;
  return dropped;
end
$$;
