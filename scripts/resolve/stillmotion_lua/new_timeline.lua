--[[
stillmotion_lua/new_timeline: generate at the playhead into a NEW timeline.

Why kept beside the in-place commands: it touches nothing of the editor's timeline. The command
`stillmotion generate TIMELINE --at TC --prompt ... --for resolve -o OUT.otio` writes a timeline
shaped for Resolve's importer, which ImportTimelineFromFile brings in under a new name. The
viewer still (ExportCurrentFrameAsStill, the graded frame) is passed with --image when the
installed command offers that option; otherwise the command grabs the ungraded source frame.
]]

local sm = ...
local util, session = sm.need("util"), sm.need("session")
local fail = util.fail
local new_timeline = {}

local function run(ctx, answers)
  local project, timeline = ctx.project, ctx.timeline
  local timecode = session.playhead(timeline)
  if not answers.prompt or answers.prompt:match("^%s*$") then
    fail("the prompt is empty; describe the shot and its camera move.")
  end
  local exported = session.export(ctx, ctx.base .. ".otio", false)
  local result = ctx.base .. "-ai.otio"
  local args = {"generate", exported, "--at", timecode, "--prompt", answers.prompt,
                "--for", "resolve", "-o", result, "--media-dir", ctx.folder}
  if (answers.seconds or "") ~= "" then
    table.insert(args, "--seconds"); table.insert(args, answers.seconds)
  end
  if (answers.provider or "") ~= "" then
    table.insert(args, "--provider"); table.insert(args, answers.provider)
  end
  util.run({ctx.config.cli, "generate", "--help"}, ctx.log)
  if util.read_file(ctx.log):find("--image", 1, true) then
    local still = ctx.base .. ".png"
    if not project:ExportCurrentFrameAsStill(still) then
      fail("Resolve did not export the viewer frame (ExportCurrentFrameAsStill returned false); " ..
           "try again.")
    end
    if not util.wait_for_file(still, 10) then
      fail("Resolve's still export " .. still .. " never appeared; check the folder is writable " ..
           "and try again.")
    end
    table.insert(args, "--image"); table.insert(args, still)
  end
  util.cli(ctx.config, args, ctx.log)

  local name = timeline:GetName() .. " + AI " .. ctx.stamp
  local imported = project:GetMediaPool():ImportTimelineFromFile(result, {
    timelineName = name, importSourceClips = true,
  })
  timeline:SetCurrentTimecode(timecode)
  if not imported then
    fail("Resolve did not import " .. result .. " (ImportTimelineFromFile returned nothing); " ..
         "import it with File > Import > Timeline.")
  end
  return "the generated clip is on the 'AI Generated' track of the new timeline '" .. name ..
         "' at " .. timecode .. ".", imported
end

-- Returns (message, the new timeline) or raises error("stillmotion: ...").
function new_timeline.generate(resolve, answers, config)
  local ctx = session.open(resolve, config, nil)
  return session.on_edit_page(resolve, run, ctx, answers)
end

return new_timeline
