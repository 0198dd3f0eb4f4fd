const we="PERSISTED_QUERY_NOT_FOUND";let ge=!1;function je(e){const t=e.__meta__?.hash;return typeof t=="string"?t.replace(/^sha256:/,""):void 0}function te(e){const t=je(e);return ge||!t?{query:e.toString()}:{extensions:{persistedQuery:{version:1,sha256Hash:t}}}}function be(e){return e.query===void 0&&e.extensions!==void 0}function Ee(){ge=!0}class C extends Error{constructor(t,n,r=[]){super(t),this.code=n,this.errors=r,this.name="ApiError"}code;errors}function xe(e,t="UNKNOWN"){return e?.find(n=>typeof n.extensions?.code=="string")?.extensions?.code??t}function Se(e){return e.map(t=>{const n=t.extensions?.code?`${t.extensions.code}: `:"",r=t.extensions?.field?` (${t.extensions.field})`:"";return n+t.message+r}).join("; ")}const $e=new URL("/query",location.href).toString(),Fe=$e.replace(/^http/,"ws");async function U(e,t,...[n]){const r=te(t);try{return await he(e,{...r,variables:n??{}})}catch(a){if(!(a instanceof C&&a.code===we&&be(r)))throw a;return Ee(),he(e,{...te(t),variables:n??{}})}}async function he(e,t){let n;try{n=await fetch($e,{method:"POST",headers:{"Content-Type":"application/json",Accept:"application/graphql-response+json, application/json",Authorization:`Bearer ${e}`},body:JSON.stringify(t)})}catch(a){throw new C(`network error: ${String(a)}`,"NETWORK")}let r;try{r=await n.json()}catch{throw new C(`HTTP ${n.status}: not a GraphQL response`,"HTTP_"+n.status)}if(r.errors?.length)throw new C(Se(r.errors),xe(r.errors),r.errors);if(!r.data)throw new C(`HTTP ${n.status}: no data`,"HTTP_"+n.status);return r.data}function E(e){return e===null?"null":Array.isArray(e)?"array":typeof e}function A(e){return E(e)==="object"}function Be(e){return Array.isArray(e)&&e.length>0&&e.every(t=>"message"in t)}function ye(e,t){return e.length<124?e:t}const ze="graphql-transport-ws";var x=(e=>(e[e.InternalServerError=4500]="InternalServerError",e[e.InternalClientError=4005]="InternalClientError",e[e.BadRequest=4400]="BadRequest",e[e.BadResponse=4004]="BadResponse",e[e.Unauthorized=4401]="Unauthorized",e[e.Forbidden=4403]="Forbidden",e[e.SubprotocolNotAcceptable=4406]="SubprotocolNotAcceptable",e[e.ConnectionInitialisationTimeout=4408]="ConnectionInitialisationTimeout",e[e.ConnectionAcknowledgementTimeout=4504]="ConnectionAcknowledgementTimeout",e[e.SubscriberAlreadyExists=4409]="SubscriberAlreadyExists",e[e.TooManyInitialisationRequests=4429]="TooManyInitialisationRequests",e))(x||{}),S=(e=>(e.ConnectionInit="connection_init",e.ConnectionAck="connection_ack",e.Ping="ping",e.Pong="pong",e.Subscribe="subscribe",e.Next="next",e.Error="error",e.Complete="complete",e))(S||{});function Te(e){if(!A(e))throw new Error(`Message is expected to be an object, but got ${E(e)}`);if(!e.type)throw new Error("Message is missing the 'type' property");if(typeof e.type!="string")throw new Error(`Message is expects the 'type' property to be a string, but got ${E(e.type)}`);switch(e.type){case"connection_init":case"connection_ack":case"ping":case"pong":{if(e.payload!=null&&!A(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break}case"subscribe":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${E(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!A(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${E(e.payload)}`);if(typeof e.payload.query!="string")throw new Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${E(e.payload.query)}`);if(e.payload.variables!=null&&!A(e.payload.variables))throw new Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${E(e.payload.variables)}`);if(e.payload.operationName!=null&&E(e.payload.operationName)!=="string")throw new Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${E(e.payload.operationName)}`);if(e.payload.extensions!=null&&!A(e.payload.extensions))throw new Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${E(e.payload.extensions)}`);break}case"next":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${E(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!A(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${E(e.payload)}`);break}case"error":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${E(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!Be(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break}case"complete":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${E(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);break}default:throw new Error(`Invalid message 'type' property "${e.type}"`)}return e}function He(e,t){return Te(typeof e=="string"?JSON.parse(e,t):e)}function j(e,t){return Te(e),JSON.stringify(e,t)}function Ge(e){const{url:t,connectionParams:n,lazy:r=!0,onNonLazyError:a=console.error,lazyCloseTimeout:b=0,keepAlive:s=0,disablePong:R,connectionAckWaitTimeout:k=0,retryAttempts:ce=5,retryWait:Le=async function(l){const o=Math.pow(2,l);await new Promise(d=>setTimeout(d,o*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:Ue=ee,on:m,webSocketImpl:Y,generateID:qe=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,l=>{const o=Math.random()*16|0;return(l=="x"?o:o&3|8).toString(16)})},jsonMessageReplacer:B,jsonMessageReviver:Me}=e;let _;if(Y){if(!Je(Y))throw new Error("Invalid WebSocket implementation provided");_=Y}else typeof WebSocket<"u"?_=WebSocket:typeof global<"u"?_=global.WebSocket||global.MozWebSocket:typeof window<"u"&&(_=window.WebSocket||window.MozWebSocket);if(!_)throw new Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");const N=_,w=(()=>{const c=(()=>{const o={};return{on(d,p){return o[d]=p,()=>{delete o[d]}},emit(d){"id"in d&&o[d.id]?.(d)}}})(),l={connecting:m?.connecting?[m.connecting]:[],opened:m?.opened?[m.opened]:[],connected:m?.connected?[m.connected]:[],ping:m?.ping?[m.ping]:[],pong:m?.pong?[m.pong]:[],message:m?.message?[c.emit,m.message]:[c.emit],closed:m?.closed?[m.closed]:[],error:m?.error?[m.error]:[]};return{onMessage:c.on,on(o,d){const p=l[o];return p.push(d),()=>{const f=p.indexOf(d);f>-1&&p.splice(f,1)}},emit(o,...d){for(const p of[...l[o]])p(...d)}}})();function X(c){const l=[w.on("error",o=>{l.forEach(d=>d()),c(o)}),w.on("closed",o=>{l.forEach(d=>d()),c(o)})];return()=>l.forEach(o=>o())}let v,P=0,Z,W=!1,z=0,ue=!1;async function de(){clearTimeout(Z);const[c,l]=await(v??(v=new Promise((p,f)=>(async()=>{if(W){if(await Le(z),!P)return v=void 0,f({code:1e3,reason:"All Subscriptions Gone"});z++}w.emit("connecting",W);const u=new N(typeof t=="function"?await t():t,ze);let T,O;function H(){isFinite(s)&&s>0&&(clearTimeout(O),O=setTimeout(()=>{u.readyState===N.OPEN&&(u.send(j({type:S.Ping})),w.emit("ping",!1,void 0))},s))}X(g=>{v=void 0,clearTimeout(T),clearTimeout(O),f(g),g instanceof me&&(u.close(4499,"Terminated"),u.onerror=null,u.onclose=null)}),u.onerror=g=>w.emit("error",g),u.onclose=g=>w.emit("closed",g),u.onopen=async()=>{try{w.emit("opened",u);const g=typeof n=="function"?await n():n;if(u.readyState!==N.OPEN)return;u.send(j(g?{type:S.ConnectionInit,payload:g}:{type:S.ConnectionInit},B)),isFinite(k)&&k>0&&(T=setTimeout(()=>{u.close(x.ConnectionAcknowledgementTimeout,"Connection acknowledgement timeout")},k)),H()}catch(g){w.emit("error",g),u.close(x.InternalClientError,ye(g instanceof Error?g.message:String(g),"Internal client error"))}};let D=!1;u.onmessage=({data:g})=>{try{const y=He(g,Me);if(w.emit("message",y),y.type==="ping"||y.type==="pong"){w.emit(y.type,!0,y.payload),y.type==="pong"?H():R||(u.send(j(y.payload?{type:S.Pong,payload:y.payload}:{type:S.Pong},B)),w.emit("pong",!1,y.payload));return}if(D)return;if(y.type!==S.ConnectionAck)throw new Error(`First message cannot be of type ${y.type}`);clearTimeout(T),D=!0,w.emit("connected",u,y.payload,W),W=!1,z=0;const fe=new Promise((wt,We)=>X(We));fe.catch(()=>{}),p([u,fe])}catch(y){u.onmessage=null,w.emit("error",y),u.close(x.BadResponse,ye(y instanceof Error?y.message:String(y),"Bad response"))}}})())));c.readyState===N.CLOSING&&await l;let o=()=>{};const d=new Promise(p=>o=p);return[c,o,new Promise((p,f)=>{const u=X(f);c.readyState!==N.OPEN&&l.catch(f),d.then(()=>{if(u(),!P){const T=()=>c.close(1e3,"Normal Closure");isFinite(b)&&b>0?(clearTimeout(Z),Z=setTimeout(()=>{!P&&c.readyState===N.OPEN&&T()},b)):T()}p()})})]}function le(c){if(ee(c)&&(Qe(c.code)||[x.InternalServerError,x.InternalClientError,x.BadRequest,x.BadResponse,x.Unauthorized,x.SubprotocolNotAcceptable,x.SubscriberAlreadyExists,x.TooManyInitialisationRequests].includes(c.code)))throw c;if(ue)return!1;if(ee(c)&&c.code===1e3)return P>0;if(!ce||z>=ce||!Ue(c))throw c;return W=!0}r||(async()=>{for(P++;;)try{const[,,c]=await de();await c}catch(c){try{if(!le(c))return}catch(l){return a?.(l)}}})();function pe(c,l){const o=qe(c);let d=!1,p=!1,f=()=>{P--,d=!0};return(async()=>{for(P++;;)try{const[u,T,O]=await de();if(d)return O.catch(()=>{}),T();const H=w.onMessage(o,D=>{switch(D.type){case S.Next:{l.next(D.payload);return}case S.Error:{p=!0,d=!0,l.error(D.payload),f();return}case S.Complete:{d=!0,f();return}}});u.send(j({id:o,type:S.Subscribe,payload:c},B)),f=()=>{!d&&u.readyState===N.OPEN&&u.send(j({id:o,type:S.Complete},B)),P--,d=!0,T()},await O.finally(H);return}catch(u){if(!le(u))return}})().then(()=>{p||l.complete()}).catch(u=>{l.error(u)}),()=>{d||f()}}return{on:w.on,subscribe:pe,iterate(c){const l=[],o={done:!1,error:null,resolve:()=>{}},d=pe(c,{next(f){l.push(f),o.resolve()},error(f){o.done=!0,o.error=f,o.resolve()},complete(){o.done=!0,o.resolve()}}),p=(async function*(){for(;;){for(l.length||await new Promise(u=>o.resolve=u);l.length;)yield l.shift();if(o.error)throw o.error;if(o.done)return}})();return p.throw=async f=>(o.done||(o.done=!0,o.error=f,o.resolve()),{done:!0,value:void 0}),p.return=async()=>(d(),{done:!0,value:void 0}),p},async dispose(){if(ue=!0,v){const[c]=await v;c.close(1e3,"Normal Closure")}},terminate(){v&&w.emit("closed",new me)}}}class me extends Error{name="TerminatedCloseEvent";message="4499: Terminated";code=4499;reason="Terminated";wasClean=!1}function ee(e){return A(e)&&"code"in e&&"reason"in e}function Qe(e){return[1e3,1001,1006,1005,1012,1013,1014].includes(e)?!1:e>=1e3&&e<=1999}function Je(e){return typeof e=="function"&&"constructor"in e&&"CLOSED"in e&&"CLOSING"in e&&"CONNECTING"in e&&"OPEN"in e}class q extends String{__apiType;value;__meta__;constructor(t,n){super(t),this.value=t,this.__meta__=n}toString(){return this.value}}const Ve=new q(`
    query Viewer {
  viewer {
    id
    role
  }
}
    `,{hash:"sha256:68d5b36c8ef583822a01fd59df3837c6b8f3a7b4afb8769d5a7b21844af2323e"}),Ke=new q(`
    mutation CreatePulse($input: CreatePulseInput!) {
  createPulse(input: $input) {
    pulse {
      id
      title
      createdAt
    }
    event {
      id
      cursor
    }
  }
}
    `,{hash:"sha256:1298fcaf67ba1f230994149601ee2814ec56eb684fd3f3eadcdc66fadb2ff3c6"}),Ye=new q(`
    mutation RespondToPulse($input: RespondToPulseInput!) {
  respondToPulse(input: $input) {
    response {
      id
      answer
      confidence
      createdAt
    }
  }
}
    `,{hash:"sha256:e0f5a9d5743fed60b74210f8765a00a14c910a7b332d389620f7b89fa89528b9"}),Xe=new q(`
    mutation ClosePulse($input: ClosePulseInput!) {
  closePulse(input: $input) {
    pulse {
      id
      closedAt
    }
  }
}
    `,{hash:"sha256:1d9164799befc386ffde90e2e5dfed0043e7d5b668f7874df0f24bfcf802fd77"}),Ze=new q(`
    query Pulse($id: UUID!) {
  pulse(id: $id) {
    id
    title
    closedAt
    responseCount
    events(first: 1) {
      edges {
        cursor
      }
    }
  }
}
    `,{hash:"sha256:ceb3fbc5c09d905fad6bde12a43d113b21d5b8b39cf5d12dbe750e673854bed5"}),Pe=new q(`
    subscription PulseEvents($pulseId: UUID!, $after: String) {
  pulseEvents(pulseId: $pulseId, after: $after) {
    id
    cursor
    version
    type
    occurredAt
    payload {
      __typename
      ... on LearningPulseResponded {
        studentId
        responseId
        response {
          id
          answer
          confidence
          createdAt
        }
      }
    }
  }
}
    `,{hash:"sha256:3b0db3b07fa79a7366b9c381ebeb6c3e7dad7c3366f27823719e658e67495217"}),ne=4403,et=4408;function F(e){return typeof e=="object"&&e!==null&&"code"in e&&typeof e.code=="number"}const tt=e=>new Promise(t=>setTimeout(t,e));function nt(e,t){let n=0,r,a;const b=Ge({url:Fe,connectionParams:()=>({Authorization:`Bearer ${e()}`}),lazy:!0,lazyCloseTimeout:3e3,retryAttempts:1/0,shouldRetry:s=>!(F(s)&&s.code===ne),retryWait:async s=>{await tt(Math.min(300*2**s,3e3)+Math.random()*300)},keepAlive:1e4,on:{connecting:s=>t.onState(s?"reconnecting":"connecting"),connected:(s,R,k)=>{k&&n++,t.onState("live")},ping:s=>{s||(clearTimeout(r),r=setTimeout(()=>{a?.readyState===WebSocket.OPEN&&a.close(et,"pong timeout")},5e3))},pong:s=>{s&&clearTimeout(r)},opened:s=>{a=s},closed:s=>{if(clearTimeout(r),a=void 0,F(s)&&s.code===ne)t.onState("rejected","the server refused the token (4403): get a new one");else if(F(s)&&s.code===1e3)t.onState("idle");else{const R=F(s)?` (${s.code})`:"";t.onState("reconnecting",`connection lost${R}`)}}}});return{client:b,get reconnects(){return n},dispose:()=>{b.dispose()}}}class rt{constructor(t,n,r,a){this.client=t,this.pulseId=n,this.handlers=a,this.cursor=r}client;pulseId;handlers;seen=new Set;cursor;variables;byHash=!1;unsubscribe;stopped=!1;repeatsDropped=0;slowConsumerRestarts=0;get lastCursor(){return this.cursor}start(){this.stopped=!1;const t={pulseId:this.pulseId,after:this.cursor};this.variables=t;const n=te(Pe);this.byHash=be(n),this.unsubscribe=this.client.subscribe({query:n.query??"",extensions:n.extensions,variables:t},{next:r=>{if(r.errors?.length){this.fail(r.errors);return}r.data&&this.accept(r.data.pulseEvents)},error:r=>{if(Array.isArray(r))this.fail(r);else if(F(r)){const a=r.code===ne?"FORBIDDEN":`CLOSE_${r.code}`;this.handlers.onError(`connection closed (${r.code}${r.reason?": "+r.reason:""})`,a)}else this.handlers.onError(String(r),"UNKNOWN")},complete:()=>{}})}stop(){this.stopped=!0,this.unsubscribe?.(),this.unsubscribe=void 0}accept(t){if(this.seen.has(t.id)){this.repeatsDropped++;return}this.seen.add(t.id),this.cursor=t.cursor,this.variables&&(this.variables.after=t.cursor),this.handlers.onEvent(t)}fail(t){const n=xe(t);if(n===we&&this.byHash&&!this.stopped){Ee(),this.unsubscribe=void 0,this.start();return}if(n==="SLOW_CONSUMER"&&!this.stopped){const r=t.find(a=>a.extensions?.code==="SLOW_CONSUMER")?.extensions?.lastCursor;typeof r=="string"&&r!==""&&(this.cursor=r),this.slowConsumerRestarts++,this.unsubscribe=void 0,this.start();return}this.handlers.onError(Se(t),n)}}const ot={"\n  query Viewer {\n    viewer {\n      id\n      role\n    }\n  }\n":Ve,"\n  mutation CreatePulse($input: CreatePulseInput!) {\n    createPulse(input: $input) {\n      pulse {\n        id\n        title\n        createdAt\n      }\n      event {\n        id\n        cursor\n      }\n    }\n  }\n":Ke,"\n  mutation RespondToPulse($input: RespondToPulseInput!) {\n    respondToPulse(input: $input) {\n      response {\n        id\n        answer\n        confidence\n        createdAt\n      }\n    }\n  }\n":Ye,"\n  mutation ClosePulse($input: ClosePulseInput!) {\n    closePulse(input: $input) {\n      pulse {\n        id\n        closedAt\n      }\n    }\n  }\n":Xe,"\n  query Pulse($id: UUID!) {\n    pulse(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      events(first: 1) {\n        edges {\n          cursor\n        }\n      }\n    }\n  }\n":Ze,"\n  subscription PulseEvents($pulseId: UUID!, $after: String) {\n    pulseEvents(pulseId: $pulseId, after: $after) {\n      id\n      cursor\n      version\n      type\n      occurredAt\n      payload {\n        __typename\n        ... on LearningPulseResponded {\n          studentId\n          responseId\n          response {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n":Pe};function M(e){return ot[e]??{}}const st=M(`
  query Viewer {
    viewer {
      id
      role
    }
  }
`),it=M(`
  mutation CreatePulse($input: CreatePulseInput!) {
    createPulse(input: $input) {
      pulse {
        id
        title
        createdAt
      }
      event {
        id
        cursor
      }
    }
  }
`),at=M(`
  mutation RespondToPulse($input: RespondToPulseInput!) {
    respondToPulse(input: $input) {
      response {
        id
        answer
        confidence
        createdAt
      }
    }
  }
`),ct=M(`
  mutation ClosePulse($input: ClosePulseInput!) {
    closePulse(input: $input) {
      pulse {
        id
        closedAt
      }
    }
  }
`),Ie=M(`
  query Pulse($id: UUID!) {
    pulse(id: $id) {
      id
      title
      closedAt
      responseCount
      events(first: 1) {
        edges {
          cursor
        }
      }
    }
  }
`);M(`
  subscription PulseEvents($pulseId: UUID!, $after: String) {
    pulseEvents(pulseId: $pulseId, after: $after) {
      id
      cursor
      version
      type
      occurredAt
      payload {
        __typename
        ... on LearningPulseResponded {
          studentId
          responseId
          response {
            id
            answer
            confidence
            createdAt
          }
        }
      }
    }
  }
`);const re="edupulse.token";function K(){return new URLSearchParams(location.hash.replace(/^#/,""))}function oe(e){const t=e.toString();history.replaceState(null,"",location.pathname+location.search+(t?"#"+t:""))}function ut(){const e=K(),t=e.get("token")?.trim();return t?(e.delete("token"),oe(e),ke(t),t):sessionStorage.getItem(re)??""}function ke(e){e?sessionStorage.setItem(re,e):sessionStorage.removeItem(re)}function Ne(e){const t=e.split(".")[1];if(!t)return null;try{const n=atob(t.replace(/-/g,"+").replace(/_/g,"/").padEnd(Math.ceil(t.length/4)*4,"=")),r=JSON.parse(n);return typeof r=="object"&&r!==null?r:null}catch{return null}}async function dt(){try{const e=await fetch(new URL("dev-tokens.json",location.origin+"/app/"),{cache:"no-store"});if(!e.ok)return[];const t=await e.json();return Array.isArray(t)?t.filter(n=>typeof n?.role=="string"&&typeof n?.token=="string"):[]}catch{return[]}}function i(e){const t=document.getElementById(e);if(!t)throw new Error(`#${e} missing`);return t}function Q(e,t={},...n){const r=document.createElement(e);for(const[a,b]of Object.entries(t))r.setAttribute(a,b);return r.append(...n),r}const G=i("status"),se=i("token-input");let h=ut(),I,$;const lt={idle:"not subscribed",connecting:"connecting…",live:"live",reconnecting:"reconnecting…",rejected:"token refused"};function ie(e,t){G.dataset.state=e,G.textContent=lt[e],G.title=t??"",G.dataset.reconnects=String(I?.reconnects??0),Ce()}function pt(){if(!I){const e=nt(()=>h,{onState:(t,n)=>{I===e&&ie(t,n)}});I=e}return I}async function J(e,t=!0){h=e.trim(),ke(h),se.value=h;const n=$;$?.stop(),$=void 0,I?.dispose(),I=void 0,ie("idle");const r=i("whoami");if(!h){r.textContent="No token yet.";return}const a=Ne(h),b=a?.role?.toLowerCase();t&&b==="student"?V("student"):t&&(b==="teacher"||b==="admin")&&V("teacher");try{const{viewer:s}=await U(h,st);r.textContent=`Signed in as ${s.role.toLowerCase()} ${s.id}`+(a?.exp?` · token valid until ${new Date(a.exp*1e3).toLocaleString()}`:""),r.className="muted",n&&s.role!=="STUDENT"&&ae(n.pulseId)}catch(s){r.textContent=s instanceof C&&s.code==="UNAUTHENTICATED"?"The server refused this token (expired, or signed with another secret): get a new one.":`Could not check the token: ${String(s instanceof Error?s.message:s)}`,r.className="error"}}i("token-form").addEventListener("submit",e=>{e.preventDefault(),J(se.value)});async function ft(){const e=await dt();if(!e.length)return;const t=i("dev-tokens");for(const n of e){const r=Q("button",{type:"button","data-testid":`dev-token-${n.role}`},`Use ${n.role} token`);r.addEventListener("click",()=>{J(n.token)}),t.append(r)}t.hidden=!1,h||await J(e[0].token)}function V(e){i("teacher-view").hidden=e!=="teacher",i("student-view").hidden=e!=="student";for(const n of document.querySelectorAll(".tabs button"))n.setAttribute("aria-pressed",String(n.dataset.view===e));const t=K();t.set("view",e),oe(t)}for(const e of document.querySelectorAll(".tabs button"))e.addEventListener("click",()=>V(e.dataset.view));const ve=i("answers");let Ae=0;function L(e){i("teacher-error").textContent=e}function Ce(){const e=i("feed-info");if(!$){e.textContent="";return}const t=I?.reconnects??0;e.dataset.reconnects=String(t),e.dataset.repeats=String($.repeatsDropped),e.textContent=t?`reconnected ${t}× and resumed from the last event seen`:""}function Re(e){Ae=e,i("answer-count").textContent=String(e),i("answer-label").textContent=e===1?"answer":"answers",i("empty-hint").hidden=e>0}function ht(e){const t=e.payload;if(t.__typename==="LearningPulseResponded"){const n=t.response,r=[`student ${t.studentId.slice(0,8)}`];n?.confidence&&r.push(`confidence ${n.confidence}/5`),n&&r.push(new Date(n.createdAt).toLocaleTimeString()),ve.append(Q("li",{"data-testid":"answer","data-event-id":e.id,"data-version":String(e.version)},Q("span",{class:"answer-text"},n?n.answer:"(answer not visible to you)"),Q("span",{class:"muted"},r.join(" · ")))),Re(Ae+1)}else e.type==="LEARNING_PULSE_CLOSED"&&_e();Ce()}function _e(){const e=i("close-pulse");e.disabled=!0,e.textContent="Closed",i("pulse-card").dataset.closed="true"}function Oe(e,t,n,r){$?.stop(),L(""),ve.replaceChildren(),Re(0),i("pulse-title-view").textContent=t,i("pulse-id").textContent=e,i("student-link").href=`#view=student&pulse=${encodeURIComponent(e)}`;const a=i("pulse-card");a.hidden=!1,delete a.dataset.closed;const b=i("close-pulse");b.disabled=!1,b.textContent="Close pulse",r&&_e();const s=K();s.set("pulse",e),oe(s),$=new rt(pt().client,e,n,{onEvent:ht,onError:(R,k)=>{L(k==="FORBIDDEN"?"The server refused the token: paste a new one and watch again.":R)}}),$.start()}async function ae(e){try{const{pulse:t}=await U(h,Ie,{id:e});if(!t){L("No such pulse (or not visible to you).");return}Oe(t.id,t.title,t.events.edges[0]?.cursor??null,t.closedAt!=null)}catch(t){L(t instanceof Error?t.message:String(t))}}i("create-form").addEventListener("submit",e=>{e.preventDefault(),(async()=>{const t=i("pulse-title").value;try{const{createPulse:n}=await U(h,it,{input:{title:t}});Oe(n.pulse.id,n.pulse.title,n.event.cursor,!1)}catch(n){L(n instanceof Error?n.message:String(n))}})()});i("watch-form").addEventListener("submit",e=>{e.preventDefault();const t=i("watch-id").value.trim();t&&ae(t)});i("close-pulse").addEventListener("click",()=>{if(!$)return;const e=$.pulseId;U(h,ct,{input:{pulseId:e}}).catch(t=>L(t instanceof Error?t.message:String(t)))});const yt={CONFLICT:"Not recorded: you have already answered this pulse, or it is closed.",NOT_FOUND:"Not recorded: there is no such pulse.",FORBIDDEN:"Not recorded: only a student token can answer a pulse.",UNAUTHENTICATED:"Not recorded: the server refused the token; get a new one.",RATE_LIMITED:"Not recorded: too many requests; try again in a moment."};async function De(){const e=i("answer-pulse").value.trim(),t=i("answer-pulse-title");if(t.textContent="",!(!e||!h))try{const{pulse:n}=await U(h,Ie,{id:e});t.textContent=n?`“${n.title}”${n.closedAt?" (closed)":""}`:"No such pulse."}catch{}}i("answer-pulse").addEventListener("change",()=>{De()});i("answer-form").addEventListener("submit",e=>{e.preventDefault(),(async()=>{const t=i("answer-result"),n=i("student-error");t.textContent="",n.textContent="";const r=i("answer-confidence").value;try{const{respondToPulse:a}=await U(h,at,{input:{pulseId:i("answer-pulse").value.trim(),answer:i("answer-text").value,confidence:r?Number(r):null}});t.textContent=`Answer recorded at ${new Date(a.response.createdAt).toLocaleTimeString()}.`,i("answer-text").value=""}catch(a){n.textContent=a instanceof C?(yt[a.code]??a.message)+(a.code==="BAD_USER_INPUT"?` (${a.message})`:""):String(a)}})()});function mt(){const e=K(),t=e.get("pulse");t&&(i("answer-pulse").value=t,i("watch-id").value=t),V(e.get("view")==="student"?"student":"teacher"),se.value=h,ie("idle"),(async()=>{h&&await J(h,!e.has("view")),await ft();const n=Ne(h);t&&h&&n?.role!=="student"&&e.get("view")!=="student"?await ae(t):t&&De()})()}mt();
