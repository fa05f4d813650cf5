--[[
stillmotion_lua/place: import the clips a command made and place them in the CURRENT timeline.

Why Lua places and Python decides: Lua cannot import stillmotion, so the bridge says which clips
a command made and which track each goes on (the one track rule); this module only makes the
Resolve calls, re-reads the track to prove each placement (an overlapping append is dropped
silently yet returns an item), and undoes a clip's edits when a later step for it fails, so a
failure leaves the timeline as it was. The project is saved once at the end.
]]

local sm = ...
local util, session = sm.need("util"), sm.need("session")
local fail = util.fail
local place = {}
local AI_BIN, CLIP_COLOR, MARKER_COLOR = "AI Generated", "Violet", "Purple"

local function items_on(timeline, index)
  return timeline:GetItemListInTrack("video", index) or {}
end

local function path_of(item)
  local media = item:GetMediaPoolItem()
  return media and media:GetClipProperty("File Path") or ""
end

-- Undo steps of one clip's edits, newest first; the ones Resolve refused.
local function undo_all(steps)
  local refused = {}
  for index = #steps, 1, -1 do
    local ok, done = pcall(steps[index].undo)
    if not ok or not done then table.insert(refused, steps[index].what) end
  end
  return refused
end

-- The track for record frames [first, last) by the track rule; a new track is added on top.
local function choose_track(ctx, first, last)
  local timeline, views = ctx.timeline, {}
  local count = timeline:GetTrackCount("video")
  for index = 1, count do
    local busy = false
    for _, item in ipairs(items_on(timeline, index)) do
      local start = item:GetStart()
      if start < last and start + item:GetDuration() > first then busy = true end
    end
    local enabled = timeline:GetIsTrackEnabled("video", index) and true or false
    local locked = timeline:GetIsTrackLocked("video", index) and true or false
    local flags = (enabled and "1" or "0") .. (locked and "1" or "0") .. (busy and "1" or "0") ..
                  ((busy and enabled) and "1" or "0")
    table.insert(views, flags .. "|" .. (timeline:GetTrackName("video", index) or ""))
  end
  local args = {"track"}
  for _, view in ipairs(views) do table.insert(args, view) end
  local answer = util.split_tabs(util.bridge(ctx.config, args, ctx.base)[1] or "")
  if answer[1] == "reuse" then return tonumber(answer[2]) end
  if not timeline:AddTrack("video") or timeline:GetTrackCount("video") ~= count + 1 then
    fail("Resolve did not add a video track (AddTrack); add one by hand and try again.")
  end
  table.insert(ctx.steps, {what = "the new track V" .. (count + 1),
                           undo = function() return timeline:DeleteTrack("video", count + 1) end})
  if not timeline:SetTrackName("video", count + 1, answer[2]) then
    fail("Resolve did not name track V" .. (count + 1) .. " (SetTrackName); try again.")
  end
  return count + 1
end

-- AppendToTimeline, then prove it: the track gained one item, here, showing our file.
local function append(ctx, media, clip, index, record, last_source)
  local before = #items_on(ctx.timeline, index)
  local made = ctx.media_pool:AppendToTimeline({{mediaPoolItem = media, startFrame = clip.first,
    endFrame = last_source, trackIndex = index, recordFrame = record, mediaType = 1}})
  local placed
  for _, item in ipairs(items_on(ctx.timeline, index)) do
    if item:GetStart() == record and path_of(item) == clip.path then placed = item end
  end
  if not made or #made == 0 or not placed or #items_on(ctx.timeline, index) ~= before + 1 then
    fail("Resolve did not place " .. clip.path .. " on track V" .. index .. " (AppendToTimeline); " ..
         "it is in the '" .. AI_BIN .. "' bin: place it by hand.")
  end
  table.insert(ctx.steps, {what = "the clip on track V" .. index,
                           undo = function() return ctx.timeline:DeleteClips({placed}) end})
  return placed
end

local function place_new(ctx, media, clip, record)
  local index = choose_track(ctx, record, record + clip.frames)
  -- endFrame inclusive (frames - 1) as public tools pass it; one frame short means exclusive.
  local item = append(ctx, media, clip, index, record, clip.first + clip.frames - 1)
  if item:GetDuration() == clip.frames - 1 then
    local step = table.remove(ctx.steps)
    if not step.undo() then fail("Resolve did not remove " .. step.what .. "; remove it by hand.") end
    item = append(ctx, media, clip, index, record, clip.first + clip.frames)
  end
  if item:GetDuration() ~= clip.frames then
    fail("Resolve placed " .. item:GetDuration() .. " frames instead of " .. clip.frames ..
         " (AppendToTimeline); conform the clip again.")
  end
  return item, 0
end

-- A new take on the top-most enabled generated item over `frame` (the playhead for a new take,
-- the slot's first frame for an artist's version).
local function place_take(ctx, media, clip, record)
  local timeline, target, frame = ctx.timeline, nil, ctx.take_at or record
  for index = timeline:GetTrackCount("video"), 1, -1 do
    if not target and session.is_ai(timeline:GetTrackName("video", index) or "") and
       timeline:GetIsTrackEnabled("video", index) then
      for _, item in ipairs(items_on(timeline, index)) do
        local start = item:GetStart()
        if start <= frame and frame < start + item:GetDuration() then target = item end
      end
    end
  end
  if not target then
    fail("no generated clip is under the playhead to add a take to; park on an 'AI Generated' clip.")
  end
  local before = target:GetTakesCount() or 0
  local selected = before > 0 and target:GetSelectedTakeIndex() or 0
  if not target:AddTake(media, clip.first, clip.first + clip.frames - 1) then
    fail("Resolve did not add the take (AddTake); add it by hand from the '" .. AI_BIN .. "' bin.")
  end
  local index = math.max(before, 1) + 1
  table.insert(ctx.steps, {what = "take " .. index, undo = function()
    if before > 0 then
      return target:DeleteTakeByIndex(index) and target:SelectTakeByIndex(selected)
    end
    target:SelectTakeByIndex(1)
    return target:DeleteTakeByIndex(index) and target:GetSelectedTakeIndex() == 1 and
           target:FinalizeTake()
  end})
  if target:GetTakesCount() ~= index or not target:SelectTakeByIndex(index) or
     path_of(target) ~= clip.path then
    fail("Resolve did not show take " .. index .. " (SelectTakeByIndex); check the take selector.")
  end
  return target, math.min(index - 1, target:GetDuration() - 1)
end

local function tag(media, clip, ctx)
  local values = {job_id = clip.job_id, take = clip.take, take_group = clip.take_group,
                  prompt = clip.prompt, source_clip = clip.source_clip,
                  source_timeline = ctx.timeline:GetName()}
  local metadata = {}
  for key, value in pairs(values) do metadata["stillmotion." .. key] = value end
  if not media:SetThirdPartyMetadata(metadata) then
    fail("Resolve did not store the clip's provenance (SetThirdPartyMetadata); try again.")
  end
end

-- Import, place (or add a take), colour and mark one clip; undone if a step fails.
local function place_clip(ctx, clip)
  ctx.steps = {}
  local ok, message = pcall(function()
    local imported = ctx.media_pool:ImportMedia({clip.path})
    if not imported or not imported[1] then
      fail("Resolve did not import " .. clip.path .. " (ImportMedia); import it by hand.")
    end
    tag(imported[1], clip, ctx)
    local record = ctx.start + clip.record
    local item, marker = (ctx.take and place_take or place_new)(ctx, imported[1], clip, record)
    local colour = item:GetClipColor() or ""
    if not item:SetClipColor(CLIP_COLOR) then fail("Resolve did not colour the clip (SetClipColor); try again.") end
    table.insert(ctx.steps, {what = "the clip colour", undo = function()
      return colour == "" or item:SetClipColor(colour) end})
    if not item:AddMarker(marker, MARKER_COLOR, "stillmotion take " .. clip.take, clip.prompt, 1,
                          clip.job_id) then
      fail("Resolve did not add the job marker (AddMarker); try again.")
    end
  end)
  if ok then return nil end
  local refused = undo_all(ctx.steps)
  if #refused > 0 then
    message = message .. " Resolve refused to remove " .. table.concat(refused, ", ") ..
              ": remove it by hand."
  end
  return message
end

local function ai_bin(media_pool)
  local root = media_pool:GetRootFolder()
  for _, folder in ipairs(root:GetSubFolderList() or {}) do
    if folder:GetName() == AI_BIN then return folder end
  end
  return media_pool:AddSubFolder(root, AI_BIN) or fail("Resolve did not create the '" .. AI_BIN ..
                                                        "' bin; create it by hand.")
end

-- Place every clip the bridge lists for `bridge_args` (new items, or takes when ctx.take);
-- returns the count placed and the sentences of those that were not.
function place.all(ctx, bridge_args)
  local clips = {}
  for _, line in ipairs(util.bridge(ctx.config, bridge_args, ctx.base)) do
    local f = util.split_tabs(line)
    table.insert(clips, {record = tonumber(f[1]), frames = tonumber(f[2]), first = tonumber(f[3]),
                         path = f[4], job_id = f[5], take = f[6], take_group = f[7],
                         prompt = f[8], source_clip = f[9] or ""})
  end
  local placed, failures = 0, {}
  if #clips == 0 then return placed, failures end
  session.quiet_background(ctx)
  ctx.media_pool = ctx.project:GetMediaPool()
  ctx.start = ctx.timeline:GetStartFrame()
  local bin = ai_bin(ctx.media_pool)
  local previous = ctx.media_pool:GetCurrentFolder()
  if not ctx.media_pool:SetCurrentFolder(bin) then
    fail("Resolve did not open the '" .. AI_BIN .. "' bin; try again.")
  end
  for _, clip in ipairs(clips) do
    local problem = place_clip(ctx, clip)
    if problem then table.insert(failures, problem) else placed = placed + 1 end
  end
  if previous then ctx.media_pool:SetCurrentFolder(previous) end
  if placed > 0 and not ctx.manager:SaveProject() then
    table.insert(failures, "Resolve did not save the project (SaveProject); save it by hand.")
  end
  return placed, failures
end

-- The report of place.all: "N clips placed …; not done: …", or the first failure raised.
function place.report(placed, failures, what)
  if placed == 0 then fail(failures[1] or "the command made no clip.") end
  local text = placed .. " " .. what .. (placed == 1 and "" or "s") ..
               " placed on the current timeline"
  if #failures > 0 then text = text .. "; not done: " .. table.concat(failures, " ") end
  return text .. "."
end

return place
