--[[
stillmotion_lua/finishing: review, turnover and ingest on the current timeline.

Why together: the three read the generated clips of the timeline, which Resolve's OTIO export
drops, so each first exports the timeline with our metadata put back by the bridge
(session.export_annotated), then runs the matching `stillmotion` command on it. Review and
turnover only write files; ingest places each artist's version as a new take in the slot of its
shot through stillmotion_lua/place (undone when a step fails), as the new-take command does.
]]

local sm = ...
local util, session, place = sm.need("util"), sm.need("session"), sm.need("place")
local fail, SEP = util.fail, util.SEP
local finishing = {}

-- Open a page in the browser where Fusion offers bmd.openurl (the Console has no other way).
local function open_url(path)
  if bmd and bmd.openurl then
    bmd.openurl("file://" .. (util.WINDOWS and "/" .. path:gsub("\\", "/") or path))
  end
end

local function review(ctx)
  local annotated = session.export_annotated(ctx)
  local page = ctx.folder .. SEP .. "review.html"
  util.cli(ctx.config, {"review", annotated, "-o", page, "--overwrite"}, ctx.log)
  open_url(page)
  return "the review page is " .. page .. "."
end

-- The names of the timeline's "AI Generated" tracks (turnover takes the shots on those).
local function ai_tracks(timeline)
  local names = {}
  for index = 1, timeline:GetTrackCount("video") do
    local name = timeline:GetTrackName("video", index) or ""
    if session.is_ai(name) then table.insert(names, name) end
  end
  return names
end

local function turnover(ctx, answers)
  local tracks = ai_tracks(ctx.timeline)
  if #tracks == 0 then
    fail("the timeline has no 'AI Generated' track to turn over; generate a shot first.")
  end
  local handles = (answers.handles or "") ~= "" and answers.handles or "8"
  local format = (answers.format or "") ~= "" and answers.format or "prores4444"
  local folder = (answers.folder or "") ~= "" and answers.folder or
                 (ctx.folder .. SEP .. "turnover-" .. util.safe(ctx.timeline:GetName()) .. "-" ..
                  ctx.stamp)
  local annotated = session.export_annotated(ctx)
  local args = {"turnover", annotated, "--handles", handles, "--format", format, "-o", folder}
  for _, name in ipairs(tracks) do table.insert(args, "--track"); table.insert(args, name) end
  util.cli(ctx.config, args, ctx.log)
  local count = util.read_file(ctx.log):match("Turned over (%d+) shot") or "0"
  local text = count .. " shot" .. (count == "1" and "" or "s") .. " turned over to " .. folder
  local notes = {}
  for _, line in ipairs(util.lines_of(ctx.log)) do
    if line:match("^stillmotion: ") then table.insert(notes, line:sub(14)) end
  end
  if #notes > 0 then text = text .. "; " .. table.concat(notes, " ") end
  return text .. "."
end

local function ingest(ctx, answers)
  local versions = answers.folder or ""
  if versions:match("^%s*$") then
    fail("give the folder with the artists' versions (the Folder field) and try again.")
  end
  local timecode = session.playhead(ctx.timeline)
  local annotated = session.export_annotated(ctx)
  local result = ctx.base .. "-ingested.otio"
  util.cli(ctx.config, {"ingest", annotated, versions, "-o", result}, ctx.log)
  ctx.take = true  -- each version becomes a take of the item in its slot
  local placed, failures = place.all(ctx, {"clips", result, "--new-since", annotated})
  ctx.timeline:SetCurrentTimecode(timecode)
  local text, notes = place.report(placed, failures, "take"), {}
  for _, line in ipairs(util.lines_of(ctx.log)) do  -- versions the command refused or warned of
    if line:match("^stillmotion: ") then table.insert(notes, line:sub(14)) end
  end
  if #notes == 0 then return text end
  return text:sub(1, -2) .. "; the ingest said: " .. table.concat(notes, " ")
end

local RUN = {review = review, turnover = turnover, ingest = ingest}
finishing.NAMES = RUN

-- Run `name` (review, turnover, ingest); a message, or error("stillmotion: ...").
function finishing.command(resolve, name, answers, config)
  local ctx = session.open(resolve, config, name)
  return (session.on_edit_page(resolve, RUN[name], ctx, answers))
end

return finishing
