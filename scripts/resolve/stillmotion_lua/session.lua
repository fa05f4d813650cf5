--[[
stillmotion_lua/session: what every command needs from Resolve before it runs.

Why one module: each command checks the setup, finds the open project and timeline, works on
the Edit page (Resolve reports the playhead only on Cut, Edit, Color and Deliver) and puts the
editor's page back, exports the timeline as OTIO (the constant resolve.EXPORT_OTIO: a string
silently writes nothing) and, before it edits the timeline, pauses Resolve's background tasks
where the build has the call (the bridge answers from stillmotion's one version table).
]]

local sm = ...
local util = sm.need("util")
local fail, SEP = util.fail, util.SEP
local session = {}

function session.is_ai(name) return name == "AI Generated" or name:match("^AI Generated %d+$") ~= nil end

-- The run's context: config, project, timeline, the media folder and a base name for its files.
function session.open(resolve, config, name)
  if not config or (config.cli or "") == "" then
    fail("not set up; run `python scripts/install_resolve_scripts.py` with the Python that has " ..
         "stillmotion, then try again.")
  end
  local manager = resolve:GetProjectManager()
  local project = manager and manager:GetCurrentProject()
  if not project then fail("no project is open in DaVinci Resolve; open one and try again.") end
  local timeline = project:GetCurrentTimeline()
  if not timeline then fail("the project has no current timeline; open one and try again.") end
  local folder = config.media_dir .. SEP .. util.safe(project:GetName())
  util.make_folder(folder)
  local stamp = os.date("%Y%m%d-%H%M%S")
  local base = folder .. SEP .. util.safe(timeline:GetName()) .. "-" .. stamp ..
               (name and ("-" .. name) or "")
  return {resolve = resolve, manager = manager, project = project, timeline = timeline,
          config = config, folder = folder, stamp = stamp, base = base, log = base .. ".log"}
end

-- Run work(...) on the Edit page; the editor's page is put back whatever happens.
function session.on_edit_page(resolve, work, ...)
  local page = resolve:GetCurrentPage()
  if page ~= "edit" then resolve:OpenPage("edit") end
  local ok, result, more = pcall(work, ...)
  if page and page ~= "edit" then resolve:OpenPage(page) end
  if not ok then error(result, 0) end
  return result, more
end

function session.playhead(timeline)
  local timecode = timeline:GetCurrentTimecode()
  if not timecode or timecode == "" then fail("Resolve did not report the playhead; try again.") end
  return timecode
end

-- Switch the enabled "AI Generated" tracks off; returns the ones to switch back on.
local function hide_ai_tracks(timeline)
  local hidden = {}
  for index = 1, timeline:GetTrackCount("video") do
    if session.is_ai(timeline:GetTrackName("video", index) or "") and
       timeline:GetIsTrackEnabled("video", index) then
      if not timeline:SetTrackEnable("video", index, false) then
        for _, done in ipairs(hidden) do timeline:SetTrackEnable("video", done, true) end
        fail("Resolve did not switch track V" .. index .. " off (SetTrackEnable); try again.")
      end
      table.insert(hidden, index)
    end
  end
  return hidden
end

-- Export the timeline as OTIO to `path`. With `hide`, the enabled AI tracks are off during the
-- export so the command reads the shots under them (as the Python viewer route does).
function session.export(ctx, path, hide)
  local timeline = ctx.timeline
  local hidden = hide and hide_ai_tracks(timeline) or {}
  local called, written = pcall(timeline.Export, timeline, path, ctx.resolve.EXPORT_OTIO)
  written = called and written
  for _, index in ipairs(hidden) do  -- switched back on whatever the export did
    if not timeline:SetTrackEnable("video", index, true) then
      fail("Resolve did not switch track V" .. index .. " back on (SetTrackEnable): switch it on by hand.")
    end
  end
  if not written or not util.exists(path) then
    fail("Resolve did not export the timeline as OTIO (Export returned false); check that " ..
         ctx.folder .. " is writable.")
  end
  return path
end

-- The export with our metadata put back from the ledger (Resolve's export drops it), for the
-- commands that read generated clips: review, turnover, ingest.
function session.export_annotated(ctx)
  local exported = session.export(ctx, ctx.base .. "-export.otio", false)
  local annotated = ctx.base .. ".otio"
  util.bridge(ctx.config, {"annotate", exported}, ctx.base, annotated)
  return annotated
end

-- Pause Resolve's background tasks for the session, once per run, where the build has the call
-- (GetVersion/GetProductName asked of the bridge: hasattr is True for any name on Resolve).
function session.quiet_background(ctx)
  if ctx.background_done then return end
  ctx.background_done = true
  local resolve, parts = ctx.resolve, {}
  for _, part in ipairs(resolve:GetVersion() or {}) do table.insert(parts, tostring(part)) end
  local call = "Resolve.DisableBackgroundTasksForCurrentResolveSession"
  local answer = util.bridge(ctx.config, {"supports", table.concat(parts, "."),
                                          resolve:GetProductName() or "", call}, ctx.base)
  if answer[1] == "1" then resolve:DisableBackgroundTasksForCurrentResolveSession() end
end

-- Frames from 00:00:00:00 of a timecode label on this timeline (';' marks drop frame).
function session.frames_of(timeline, timecode)
  local h, m, s, sep, f = timecode:match("^(%d+):(%d+):(%d+)([:;])(%d+)$")
  local rate = timeline:GetSetting("timelineFrameRate") or "24"
  local fps = math.floor(tonumber(rate:match("^[%d%.]+")) + 0.5)
  local frames = ((tonumber(h) * 60 + tonumber(m)) * 60 + tonumber(s)) * fps + tonumber(f)
  if sep == ";" then
    local minutes = tonumber(h) * 60 + tonumber(m)
    frames = frames - 2 * math.floor(fps / 30) * (minutes - math.floor(minutes / 10))
  end
  return frames
end

return session
